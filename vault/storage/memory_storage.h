// MemoryStorage: a Storage held in process memory, for tests of the layers
// above storage. Passes the same contract suite as SqliteStorage; nothing
// survives the object.
//
// Read-only transactions read an immutable snapshot (shared, copy-on-write);
// read-write transactions are serialized by a WriterGate and buffer their
// changes until Commit. A commit copies the whole data set when a reader
// still holds the previous snapshot, so this is meant for test-sized data.
//
// Thread-safety: thread-safe (see storage.h). The clock must outlive it.
#ifndef SEJF_VAULT_STORAGE_MEMORY_STORAGE_H_
#define SEJF_VAULT_STORAGE_MEMORY_STORAGE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "vault/storage/storage.h"
#include "vault/storage/writer_gate.h"

namespace sejf::vault {

struct MemoryStorageOptions {
  // How long Begin(kReadWrite) waits for a running write transaction.
  absl::Duration busy_timeout = absl::Seconds(5);
};

class MemoryStorage final : public Storage {
 public:
  explicit MemoryStorage(const Clock& clock, MemoryStorageOptions options = {});

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      TransactionMode mode) override;

 private:
  class MemoryTransaction;
  using Key = std::pair<std::string, std::string>;  // (kind, name)
  using Map = std::map<Key, Record>;
  // A transaction's pending writes: a record, or std::nullopt for a delete.
  using Changes = std::map<Key, std::optional<Record>>;

  std::shared_ptr<const Map> Snapshot();
  // Drops a transaction's snapshot under mu_: Apply decides on the use
  // count whether a map may change in place, so every release must happen
  // before that check (a release outside mu_ would race with the write).
  void Release(std::shared_ptr<const Map>& snapshot);
  void Apply(Changes changes);

  const Clock& clock_;
  const MemoryStorageOptions options_;
  WriterGate writers_;
  absl::Mutex mu_;
  std::shared_ptr<Map> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_MEMORY_STORAGE_H_
