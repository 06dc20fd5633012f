// How the sessions turn what KSeF answered into statuses (issue 13):
//
//   auth status 415, 425, 450, 460, 470, 480 (and 400, which the OpenAPI
//     examples show for certificate errors, and any code we do not know)
//                                       → FAILED_PRECONDITION
//   auth status 500 (unknown error), 550 (cancelled by the system; the
//     login is retried once first)      → UNAVAILABLE
//   KsefApi errors keep their code (ksef_api.h: network/5xx UNAVAILABLE,
//     429 RESOURCE_EXHAUSTED with the delay in the message, 401/403
//     PERMISSION_DENIED, 400 FAILED_PRECONDITION) and their KsefError
//     payload; only a context is put in front of the message.
//
// A login's auth status travels as a payload of its own
// (KsefAuthStatusOf), beside KsefError's HTTP status and exception codes,
// so callers decide on KSeF's numbers, never on message text.
//
// Thread-safety: pure functions.
#ifndef SEJF_BROKER_SESSIONS_SESSION_ERRORS_H_
#define SEJF_BROKER_SESSIONS_SESSION_ERRORS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sejf::broker {

// The status of a finished, failed authentication operation (code not 100
// or 200): the code as mapped above, a message naming the operation's
// reference number, KSeF's code, description and details, and the code as
// a payload.
absl::Status AuthStatusError(int code, absl::string_view description,
                             const std::vector<std::string>& details,
                             absl::string_view reference_number);

// The auth status code attached by AuthStatusError, if any.
std::optional<int> KsefAuthStatusOf(const absl::Status& status);

// `status` with "<context>: " in front of its message, its code and every
// payload kept (KsefError, the auth status, a field tag). When it is
// RESOURCE_EXHAUSTED with a KsefError retry_after the message does not
// mention, the delay is added ("retry after 5s"). OK stays OK.
absl::Status SessionStatus(const absl::Status& status,
                           absl::string_view context);

// Whether KSeF refused a refresh token for good: 400 with 21301 (tokens
// revoked, refresh not allowed), 401, or the auth status 425
// (authentication revoked). The session then logs in again.
bool IsRefusedRefresh(const absl::Status& status);

}  // namespace sejf::broker

#endif  // SEJF_BROKER_SESSIONS_SESSION_ERRORS_H_
