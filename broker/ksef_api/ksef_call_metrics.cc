#include "broker/ksef_api/ksef_call_metrics.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace sejf::broker {

KsefCallMetrics::KsefCallMetrics(metrics::Registry* registry)
    : calls_(registry->AddCounter(
          "sejf_ksef_calls_total",
          "Calls to the KSeF API (after retries) by environment, endpoint "
          "(path template) and KSeF's last HTTP status (\"none\": no answer).",
          {"environment", "endpoint", "status"})),
      durations_(registry->AddHistogram(
          "sejf_ksef_call_duration_seconds",
          "How long KSeF API calls took, retries and pacing included.",
          {"environment", "endpoint"}, metrics::kLatencyBuckets)) {}

void KsefCallMetrics::Observe(const KsefCall& call) {
  const std::string status =
      call.http_status > 0 ? absl::StrCat(call.http_status) : "none";
  calls_.WithLabels({call.environment, call.endpoint, status}).Increment();
  durations_.WithLabels({call.environment, call.endpoint})
      .ObserveDuration(call.duration);
}

}  // namespace sejf::broker
