// Adding context to an absl::Status (or StatusOr) on its way up.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_HSM_STATUS_CONTEXT_H_
#define SEJF_HSM_STATUS_CONTEXT_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sejf::hsm {

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

}  // namespace sejf::hsm

#endif  // SEJF_HSM_STATUS_CONTEXT_H_
