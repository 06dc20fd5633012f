// PostgresTransaction: a Transaction on one leased PostgreSQL connection on
// which a transaction block was already begun (PostgresStorage::Begin).
// Internal to PostgresStorage (postgres_storage.h).
//
// The contract's own refusals (ALREADY_EXISTS, NOT_FOUND, ABORTED) are
// decided without a failing statement, so they leave the transaction usable.
// A statement PostgreSQL itself refuses (disk full, connection lost, ...)
// aborts the transaction block: that call returns the mapped status
// (postgres_status.h), nothing of the transaction is committed, and every
// later call but destruction fails with UNAVAILABLE saying so.
// Destroying an uncommitted transaction runs ROLLBACK.
//
// Thread-safety: as Transaction (one thread at a time).
#ifndef SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_TRANSACTION_H_
#define SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_TRANSACTION_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "vault/storage/postgres/postgres_connection_pool.h"
#include "vault/storage/storage.h"
#include "vault/storage/writer_gate.h"

namespace sejf::vault {

class PostgresTransaction final : public Transaction {
 public:
  // `lease` is inside a transaction block of `mode` (for kReadWrite holding
  // the write lock, and `pass` set). `clock` must outlive the transaction.
  PostgresTransaction(TransactionMode mode, PostgresConnectionPool::Lease lease,
                      std::optional<WriterGate::Pass> pass, const Clock& clock);
  ~PostgresTransaction() override;

 private:
  // Runs a statement; a PostgreSQL error ends the transaction's usefulness.
  absl::StatusOr<PgResult> Query(absl::string_view sql,
                                 const PostgresParams& params,
                                 absl::string_view what);
  // NOT_FOUND when there is no record, else ABORTED (it is not at
  // `expected_version`).
  absl::Status MissOrConflict(absl::string_view kind, absl::string_view name,
                              std::int64_t expected_version);

  absl::StatusOr<std::optional<Record>> DoGet(absl::string_view kind,
                                              absl::string_view name) override;
  absl::StatusOr<Record> DoInsert(absl::string_view kind,
                                  absl::string_view name,
                                  absl::string_view data) override;
  absl::StatusOr<Record> DoUpdate(absl::string_view kind,
                                  absl::string_view name,
                                  std::int64_t expected_version,
                                  absl::string_view data) override;
  absl::Status DoDelete(absl::string_view kind, absl::string_view name,
                        std::int64_t expected_version) override;
  absl::StatusOr<ListPage> DoList(absl::string_view kind,
                                  absl::string_view start_after,
                                  int limit) override;
  absl::Status DoCommit() override;

  PostgresConnection& connection() { return **lease_; }

  std::optional<WriterGate::Pass> pass_;  // released after the lease
  std::optional<PostgresConnectionPool::Lease> lease_;  // reset at Commit
  const Clock& clock_;
  absl::Status failed_;  // the PostgreSQL error that aborted the block
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_TRANSACTION_H_
