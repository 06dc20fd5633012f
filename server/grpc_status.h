// absl::Status → grpc::Status, the one place the two meet. The message is
// passed through unchanged: callers must never put a secret in a Status.
#ifndef SEJF_SERVER_GRPC_STATUS_H_
#define SEJF_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace sejf::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "PERMISSION_DENIED", … (the canonical gRPC code name).
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace sejf::server

#endif  // SEJF_SERVER_GRPC_STATUS_H_
