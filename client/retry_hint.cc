#include "client/retry_hint.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace sejf::client {
namespace {

// The payload key under which the delay is kept: whole milliseconds as
// decimal text.
constexpr absl::string_view kRetryAfterPayload = "sejf.client/retry-after-ms";

}  // namespace

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  if (!payload) return std::nullopt;
  std::int64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &ms) || ms < 0) {
    return std::nullopt;
  }
  return absl::Milliseconds(ms);
}

std::string RetryHintText(absl::Duration delay) {
  return absl::StrFormat("retry in %.3g s", absl::ToDoubleSeconds(delay));
}

namespace internal {

absl::Status WithServerRetryInfo(absl::Status status,
                                 const std::string& error_details) {
  if (status.ok() || error_details.empty()) return status;
  google::rpc::Status details;
  if (!details.ParseFromString(error_details)) return status;
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::RetryInfo info;
    if (!any.Is<google::rpc::RetryInfo>() || !any.UnpackTo(&info)) continue;
    const absl::Duration delay = absl::Seconds(info.retry_delay().seconds()) +
                                 absl::Nanoseconds(info.retry_delay().nanos());
    status.SetPayload(kRetryAfterPayload,
                      absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(
                          absl::Ceil(delay, absl::Milliseconds(1))))));
    break;
  }
  return status;
}

}  // namespace internal
}  // namespace sejf::client
