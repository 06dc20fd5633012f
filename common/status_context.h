// Adding context to an absl::Status (or StatusOr) on its way up: the one
// place that prefixes a status message, for every layer.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_COMMON_STATUS_CONTEXT_H_
#define SEJF_COMMON_STATUS_CONTEXT_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sejf {

// `status` with "<context>: " put in front of its message and the same code;
// OK stays OK. `context` must never contain a secret.
inline absl::Status WithContext(const absl::Status& status,
                                absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

// The same for a StatusOr: the value when OK, else the status with context.
template <typename T>
absl::StatusOr<T> WithContext(absl::StatusOr<T> result,
                              absl::string_view context) {
  if (result.ok()) return result;
  return WithContext(result.status(), context);
}

// For adapters: an INVALID_ARGUMENT `status` with "<field>: " put in front of
// its message, naming the request field the caller should fix, unless the
// message already starts with that field's name. Any other status (OK
// included) is returned unchanged: only bad input is about a field.
inline absl::Status WithField(absl::string_view field,
                              const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument ||
      absl::StartsWith(status.message(), field)) {
    return status;
  }
  return WithContext(status, field);
}

// The same for a StatusOr: the value when OK, else the status with the field.
template <typename T>
absl::StatusOr<T> WithField(absl::string_view field, absl::StatusOr<T> value) {
  if (value.ok()) return value;
  return WithField(field, value.status());
}

}  // namespace sejf

#endif  // SEJF_COMMON_STATUS_CONTEXT_H_
