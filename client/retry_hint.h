// The wait a server asks for before a call is retried: sejfd refuses a
// caller over its rate limit with RESOURCE_EXHAUSTED and a
// google.rpc.RetryInfo in the status details (server/rate_limiter.h). The
// client keeps that delay with the call's absl::Status, so a caller (the
// CLI, a program on the library) can wait exactly that long.
//
// Thread-safety: stateless functions.
#ifndef SEJF_CLIENT_RETRY_HINT_H_
#define SEJF_CLIENT_RETRY_HINT_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sejf::client {

// The retry delay the server sent with `status`; nullopt when none.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

// "retry in 0.25 s" for a delay; what the CLI prints.
std::string RetryHintText(absl::Duration delay);

namespace internal {
// Keeps the RetryInfo found in `error_details` (a serialized
// google.rpc.Status, gRPC's grpc-status-details-bin) with `status`. Details
// that do not parse, or carry no RetryInfo, are ignored.
absl::Status WithServerRetryInfo(absl::Status status,
                                 const std::string& error_details);
}  // namespace internal

}  // namespace sejf::client

#endif  // SEJF_CLIENT_RETRY_HINT_H_
