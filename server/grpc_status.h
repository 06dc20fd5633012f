// absl::Status → grpc::Status, the one place the two meet. Callers must
// never put a secret in a Status. The message is bounded here
// (kMaxStatusMessageSize, via ClipText): a status message of megabytes makes
// gRPC's trailers exceed what clients accept and hangs the call, and every
// echoed value in it should already have been clipped (common/echo.h).
#ifndef SEJF_SERVER_GRPC_STATUS_H_
#define SEJF_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sejf::server {

// The longest status message (bytes of the original kept) a client sees.
inline constexpr std::size_t kMaxStatusMessageSize = 1024;

grpc::Status ToGrpcStatus(const absl::Status& status);

// `status` (not OK) carrying a retry delay for ToGrpcStatus to send as a
// google.rpc.RetryInfo (a negative `delay` is sent as zero).
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

// The retry delay WithRetryDelay attached; nullopt when there is none.
std::optional<absl::Duration> RetryDelayOf(const absl::Status& status);

// "OK", "PERMISSION_DENIED", … (the canonical gRPC code name).
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace sejf::server

#endif  // SEJF_SERVER_GRPC_STATUS_H_
