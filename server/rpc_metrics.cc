#include "server/rpc_metrics.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace sejf::server {

std::string RpcMethodLabel(absl::string_view method) {
  // gRPC's health service is built into gRPC, outside the descriptor pool.
  if (method == "/grpc.health.v1.Health/Check" ||
      method == "/grpc.health.v1.Health/Watch") {
    return std::string(method);
  }
  absl::string_view rest = method;
  if (!absl::ConsumePrefix(&rest, "/")) return "unknown";
  const std::size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return "unknown";
  const std::string full_name =
      absl::StrCat(rest.substr(0, slash), ".", rest.substr(slash + 1));
  if (google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          full_name) == nullptr) {
    return "unknown";
  }
  return std::string(method);
}

RpcMetrics::RpcMetrics(metrics::Registry* registry)
    : requests_(registry->AddCounter(
          "sejf_rpc_requests_total",
          "gRPC calls by method and outcome (gRPC status code name).",
          {"method", "code"})),
      durations_(registry->AddHistogram(
          "sejf_rpc_duration_seconds",
          "How long gRPC calls took in sejfd, audit included.", {"method"},
          metrics::kLatencyBuckets)),
      denials_(registry->AddCounter(
          "sejf_policy_denials_total",
          "Calls the access policy refused, by operation.", {"operation"})),
      rate_limited_(registry->AddCounter(
          "sejf_rate_limited_requests_total",
          "Calls refused by the per-identity rate limit ([limits]).",
          {"method"})) {}

void RpcMetrics::OnRpc(absl::string_view method, absl::StatusCode code,
                       absl::Duration latency) {
  const std::string label = RpcMethodLabel(method);
  requests_.WithLabels({label, absl::StatusCodeToString(code)}).Increment();
  durations_.WithLabels({label}).ObserveDuration(latency);
}

void RpcMetrics::OnPolicyDenial(absl::string_view operation) {
  denials_.WithLabels({std::string(operation)}).Increment();
}

void RpcMetrics::OnRateLimited(absl::string_view method) {
  rate_limited_.WithLabels({RpcMethodLabel(method)}).Increment();
}

}  // namespace sejf::server
