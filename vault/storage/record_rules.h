// The rules every Storage implementation applies to record fields, and the
// error messages they share, so that all backends behave and read alike.
// Adapters may use the validators to reject bad input early.
//
// No message ever contains record data. Names and kinds in messages are
// escaped (absl::Utf8SafeCHexEscape), so they print safely in logs.
//
// Thread-safety: stateless functions; thread-safe.
#ifndef SEJF_VAULT_STORAGE_RECORD_RULES_H_
#define SEJF_VAULT_STORAGE_RECORD_RULES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sejf::vault {

// OK when `kind` matches [a-z][a-z0-9_]{0,31}; else INVALID_ARGUMENT naming
// the field "kind".
absl::Status ValidateKind(absl::string_view kind);

// OK when `name` is 1..kMaxNameSize bytes of valid UTF-8 with no control
// characters (U+0000..U+001F, U+007F); else INVALID_ARGUMENT naming "name".
absl::Status ValidateName(absl::string_view name);

// OK when `data` is at most kMaxDataSize bytes; else INVALID_ARGUMENT.
absl::Status ValidateData(absl::string_view data);

// OK when `expected_version` >= 1; else INVALID_ARGUMENT.
absl::Status ValidateExpectedVersion(std::int64_t expected_version);

// ListOptions::limit as the contract defines it (0 → default, clamped to the
// maximum); INVALID_ARGUMENT when negative.
absl::StatusOr<int> NormalizeListLimit(int limit);

// `t` with the precision records keep (whole microseconds, rounded down).
absl::Time StorageTime(absl::Time t);

// Shared error messages; `kind` and `name` are escaped.
absl::Status AlreadyExistsError(absl::string_view kind, absl::string_view name);
absl::Status NotFoundError(absl::string_view kind, absl::string_view name);
// ABORTED: the record is at `actual_version`, the caller expected another.
absl::Status VersionConflictError(absl::string_view kind,
                                  absl::string_view name,
                                  std::int64_t expected_version,
                                  std::int64_t actual_version);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_RECORD_RULES_H_
