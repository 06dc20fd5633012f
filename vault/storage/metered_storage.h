// A Storage that counts every storage call: by operation and outcome, and
// how long it took (docs/metrics.md, "Storage"). sejfd wraps its backend
// (SQLite, memory, …) in one, so every layer above is measured the same way.
//
//   sejf_storage_operations_total{operation="commit",code="OK"}
//   sejf_storage_operation_duration_seconds{operation="commit"}  (histogram)
//
// Operations: "begin_read", "begin_write", "get", "insert", "update",
// "delete", "list", "commit". The codes are Storage's (storage.h):
// NOT_FOUND, ALREADY_EXISTS and ABORTED are answers callers expect;
// UNAVAILABLE, RESOURCE_EXHAUSTED, DATA_LOSS and INTERNAL are failures.
// Nothing of a record (kind, name, data) reaches a label.
//
// Does not own `registry`, nor `target` unless given as a unique_ptr; both
// must outlive it and every transaction it began. Thread-safety: as Storage
// (thread-safe); its transactions as Transaction (one thread at a time).
#ifndef SEJF_VAULT_STORAGE_METERED_STORAGE_H_
#define SEJF_VAULT_STORAGE_METERED_STORAGE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

class MeteredStorage : public Storage {
 public:
  MeteredStorage(Storage* target, metrics::Registry* registry);
  // The same, owning `target`.
  MeteredStorage(std::unique_ptr<Storage> target, metrics::Registry* registry);

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      TransactionMode mode) override;

  Storage* target() const { return target_; }

  // Shared by the transactions: records one call.
  void Record(const char* operation, absl::StatusCode code,
              absl::Duration took);

 private:
  std::unique_ptr<Storage> owned_;
  Storage* const target_;
  metrics::CounterFamily& operations_;
  metrics::HistogramFamily& durations_;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_METERED_STORAGE_H_
