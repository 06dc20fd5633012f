#include "vault/storage/storage.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vault/storage/record_rules.h"

namespace sejf::vault {
namespace {

absl::Status EndedError() {
  return absl::FailedPreconditionError(
      "the transaction has already ended (Commit was called); begin a new one");
}

}  // namespace

absl::Status Transaction::CheckWritable(absl::string_view operation) const {
  if (ended_) return EndedError();
  if (mode_ != TransactionMode::kReadWrite) {
    return absl::FailedPreconditionError(
        absl::StrCat(operation,
                     " needs a read-write transaction; this one is "
                     "read-only"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Record>> Transaction::Get(absl::string_view kind,
                                                       absl::string_view name) {
  RETURN_IF_ERROR(ValidateKind(kind));
  RETURN_IF_ERROR(ValidateName(name));
  if (ended_) return EndedError();
  return DoGet(kind, name);
}

absl::StatusOr<Record> Transaction::Insert(absl::string_view kind,
                                           absl::string_view name,
                                           absl::string_view data) {
  RETURN_IF_ERROR(ValidateKind(kind));
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateData(data));
  RETURN_IF_ERROR(CheckWritable("Insert"));
  return DoInsert(kind, name, data);
}

absl::StatusOr<Record> Transaction::Update(absl::string_view kind,
                                           absl::string_view name,
                                           std::int64_t expected_version,
                                           absl::string_view data) {
  RETURN_IF_ERROR(ValidateKind(kind));
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateExpectedVersion(expected_version));
  RETURN_IF_ERROR(ValidateData(data));
  RETURN_IF_ERROR(CheckWritable("Update"));
  return DoUpdate(kind, name, expected_version, data);
}

absl::Status Transaction::Delete(absl::string_view kind, absl::string_view name,
                                 std::int64_t expected_version) {
  RETURN_IF_ERROR(ValidateKind(kind));
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateExpectedVersion(expected_version));
  RETURN_IF_ERROR(CheckWritable("Delete"));
  return DoDelete(kind, name, expected_version);
}

absl::StatusOr<ListPage> Transaction::List(absl::string_view kind,
                                           const ListOptions& options) {
  RETURN_IF_ERROR(ValidateKind(kind));
  ASSIGN_OR_RETURN(int limit, NormalizeListLimit(options.limit));
  if (ended_) return EndedError();
  return DoList(kind, options.start_after, limit);
}

absl::Status Transaction::Commit() {
  if (ended_) return EndedError();
  ended_ = true;
  return DoCommit();
}

absl::StatusOr<std::optional<Record>> Storage::Get(absl::string_view kind,
                                                   absl::string_view name) {
  RETURN_IF_ERROR(ValidateKind(kind));
  RETURN_IF_ERROR(ValidateName(name));
  ASSIGN_OR_RETURN(auto txn, Begin(TransactionMode::kReadOnly));
  ASSIGN_OR_RETURN(auto record, txn->Get(kind, name));
  RETURN_IF_ERROR(txn->Commit());
  return record;
}

absl::StatusOr<ListPage> Storage::List(absl::string_view kind,
                                       const ListOptions& options) {
  RETURN_IF_ERROR(ValidateKind(kind));
  ASSIGN_OR_RETURN(auto txn, Begin(TransactionMode::kReadOnly));
  ASSIGN_OR_RETURN(auto page, txn->List(kind, options));
  RETURN_IF_ERROR(txn->Commit());
  return page;
}

}  // namespace sejf::vault
