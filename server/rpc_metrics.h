// The metrics of the RPC frame (docs/metrics.md, "RPCs"): every call by
// method and outcome with its latency, policy denials by operation, calls
// refused by the rate limit.
//
//   sejf_rpc_requests_total{method="/sejf.v1.Identity/WhoAmI",code="OK"}
//   sejf_rpc_duration_seconds{method="…"}               (histogram)
//   sejf_policy_denials_total{operation="keys.sign"}
//   sejf_rate_limited_requests_total{method="…"}
//
// `method` is the full gRPC method name when the linked descriptors (or
// gRPC's health service) know it, else "unknown": a client's invented
// method name never becomes a label. `code` is the outcome the frame
// records (a denial answered as NOT_FOUND counts as PERMISSION_DENIED).
//
// Thread-safety: thread-safe.
#ifndef SEJF_SERVER_RPC_METRICS_H_
#define SEJF_SERVER_RPC_METRICS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"

namespace sejf::server {

// The label for `method` ("/pkg.Service/Method"), as above.
std::string RpcMethodLabel(absl::string_view method);

class RpcMetrics {
 public:
  // `registry` must outlive this.
  explicit RpcMetrics(metrics::Registry* registry);

  void OnRpc(absl::string_view method, absl::StatusCode code,
             absl::Duration latency);
  void OnPolicyDenial(absl::string_view operation);
  void OnRateLimited(absl::string_view method);

 private:
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& durations_;
  metrics::CounterFamily& denials_;
  metrics::CounterFamily& rate_limited_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_RPC_METRICS_H_
