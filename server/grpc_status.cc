#include "server/grpc_status.h"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/duration.pb.h>

#include <algorithm>

#include "common/echo.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace sejf::server {
namespace {

// The type URL of a google.rpc.RetryInfo packed in a google.protobuf.Any,
// also the key of the absl::Status payload that carries it here.
constexpr absl::string_view kRetryInfoTypeUrl =
    "type.googleapis.com/google.rpc.RetryInfo";

}  // namespace

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  delay = std::max(delay, absl::ZeroDuration());
  google::rpc::RetryInfo info;
  const std::int64_t nanos = absl::ToInt64Nanoseconds(delay);
  info.mutable_retry_delay()->set_seconds(nanos / 1'000'000'000);
  info.mutable_retry_delay()->set_nanos(
      static_cast<std::int32_t>(nanos % 1'000'000'000));
  status.SetPayload(kRetryInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

std::optional<absl::Duration> RetryDelayOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryInfoTypeUrl);
  if (!payload) return std::nullopt;
  google::rpc::RetryInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering (0..16).
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message = ClipText(status.message(), kMaxStatusMessageSize);
  auto retry = status.GetPayload(kRetryInfoTypeUrl);
  if (!retry) return grpc::Status(code, std::move(message));
  google::rpc::Status details;
  details.set_code(static_cast<std::int32_t>(code));
  details.set_message(message);
  google::protobuf::Any* any = details.add_details();
  any->set_type_url(std::string(kRetryInfoTypeUrl));
  any->set_value(std::string(*retry));
  return grpc::Status(code, std::move(message), details.SerializeAsString());
}

std::string GrpcCodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace sejf::server
