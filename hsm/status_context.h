// Adding context to an absl::Status on its way up.
//
// Thread-safety: pure function, thread-safe.
#ifndef SEJF_HSM_STATUS_CONTEXT_H_
#define SEJF_HSM_STATUS_CONTEXT_H_

#include "absl/status/status.h"
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

}  // namespace sejf::hsm

#endif  // SEJF_HSM_STATUS_CONTEXT_H_
