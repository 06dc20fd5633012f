// The OpenSSL error queue as an absl::Status.
#ifndef SEJF_COMMON_OPENSSL_ERROR_H_
#define SEJF_COMMON_OPENSSL_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sejf {

// Drains this thread's OpenSSL error queue into one line ("" when empty).
std::string DrainOpenSslErrors();

// A status with `code` whose message is `what`, followed by the drained
// OpenSSL errors. The queue is empty afterwards.
absl::Status OpenSslError(absl::StatusCode code, absl::string_view what);

// Shorthand for an INTERNAL OpenSslError.
inline absl::Status OpenSslInternal(absl::string_view what) {
  return OpenSslError(absl::StatusCode::kInternal, what);
}

}  // namespace sejf

#endif  // SEJF_COMMON_OPENSSL_ERROR_H_
