#include "vault/storage/storage_probe.h"

#include <memory>
#include <string>

#include "common/random.h"
#include "common/status_macros.h"

namespace sejf::vault {

absl::Status ProbeRead(Storage& storage) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage.Begin(TransactionMode::kReadOnly));
  RETURN_IF_ERROR(txn->Get(kProbeKind, "probe").status());
  return txn->Commit();
}

absl::Status ProbeWrite(Storage& storage) {
  // A name of its own: replicas probing at once do not collide.
  const std::string name = RandomHex(8);
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage.Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(Record record, txn->Insert(kProbeKind, name, "probe"));
  RETURN_IF_ERROR(txn->Delete(kProbeKind, name, record.version));
  absl::Status committed = txn->Commit();
  if (committed.code() == absl::StatusCode::kAborted) return absl::OkStatus();
  return committed;
}

}  // namespace sejf::vault
