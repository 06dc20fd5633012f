#include "vault/storage/metered_storage.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/time/clock.h"

namespace sejf::vault {

namespace {

const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

class MeteredTransaction final : public Transaction {
 public:
  MeteredTransaction(MeteredStorage* storage,
                     std::unique_ptr<Transaction> target)
      : Transaction(target->mode()),
        storage_(storage),
        target_(std::move(target)) {}

 private:
  template <typename Call>
  auto Count(const char* operation, Call&& call) {
    const absl::Time start = absl::Now();
    auto result = call();
    storage_->Record(operation, StatusOf(result).code(), absl::Now() - start);
    return result;
  }

  absl::StatusOr<std::optional<Record>> DoGet(absl::string_view kind,
                                              absl::string_view name) override {
    return Count("get", [&] { return target_->Get(kind, name); });
  }
  absl::StatusOr<Record> DoInsert(absl::string_view kind,
                                  absl::string_view name,
                                  absl::string_view data) override {
    return Count("insert", [&] { return target_->Insert(kind, name, data); });
  }
  absl::StatusOr<Record> DoUpdate(absl::string_view kind,
                                  absl::string_view name,
                                  std::int64_t expected_version,
                                  absl::string_view data) override {
    return Count("update", [&] {
      return target_->Update(kind, name, expected_version, data);
    });
  }
  absl::Status DoDelete(absl::string_view kind, absl::string_view name,
                        std::int64_t expected_version) override {
    return Count("delete",
                 [&] { return target_->Delete(kind, name, expected_version); });
  }
  absl::StatusOr<ListPage> DoList(absl::string_view kind,
                                  absl::string_view start_after,
                                  int limit) override {
    ListOptions options;
    options.start_after = std::string(start_after);
    options.limit = limit;
    return Count("list", [&] { return target_->List(kind, options); });
  }
  absl::Status DoCommit() override {
    return Count("commit", [&] { return target_->Commit(); });
  }

  MeteredStorage* const storage_;
  const std::unique_ptr<Transaction> target_;
};

}  // namespace

MeteredStorage::MeteredStorage(Storage* target, metrics::Registry* registry)
    : target_(target),
      operations_(registry->AddCounter(
          "sejf_storage_operations_total",
          "Storage calls by operation and outcome (a gRPC status code name; "
          "UNAVAILABLE, RESOURCE_EXHAUSTED, DATA_LOSS and INTERNAL are "
          "failures).",
          {"operation", "code"})),
      durations_(registry->AddHistogram(
          "sejf_storage_operation_duration_seconds",
          "How long storage calls took (begin includes waiting for the "
          "writer lock; commit includes the fsync).",
          {"operation"}, metrics::kLatencyBuckets)) {}

MeteredStorage::MeteredStorage(std::unique_ptr<Storage> target,
                               metrics::Registry* registry)
    : MeteredStorage(target.get(), registry) {
  owned_ = std::move(target);
}

void MeteredStorage::Record(const char* operation, absl::StatusCode code,
                            absl::Duration took) {
  durations_.WithLabels({operation}).ObserveDuration(took);
  operations_.WithLabels({operation, absl::StatusCodeToString(code)})
      .Increment();
}

absl::StatusOr<std::unique_ptr<Transaction>> MeteredStorage::Begin(
    TransactionMode mode) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<Transaction>> begun = target_->Begin(mode);
  Record(mode == TransactionMode::kReadOnly ? "begin_read" : "begin_write",
         begun.status().code(), absl::Now() - start);
  if (!begun.ok()) return begun.status();
  return std::unique_ptr<Transaction>(
      new MeteredTransaction(this, *std::move(begun)));
}

}  // namespace sejf::vault
