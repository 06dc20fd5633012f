// The metrics of sejfd's calls to KSeF (docs/metrics.md, "KSeF"): every
// finished call (after its retries) by environment, endpoint and KSeF's
// last HTTP status, with its duration.
//
//   sejf_ksef_calls_total{environment="test",endpoint="POST /auth/challenge",
//                         status="200"}
//   sejf_ksef_call_duration_seconds{environment="test",endpoint="…"}
//
// `endpoint` is the path template of KsefCall ("GET /tokens/{ref}": never a
// reference number), `environment` a configured name, `status` the HTTP
// status or "none" when no answer came (connection failure, timeout). Use
// Observer() as (part of) the KsefCallObserver of the API directory.
//
// Thread-safety: thread-safe.
#ifndef SEJF_BROKER_KSEF_API_KSEF_CALL_METRICS_H_
#define SEJF_BROKER_KSEF_API_KSEF_CALL_METRICS_H_

#include "broker/ksef_api/ksef_api.h"
#include "common/metrics/metrics.h"

namespace sejf::broker {

class KsefCallMetrics {
 public:
  // `registry` must outlive this.
  explicit KsefCallMetrics(metrics::Registry* registry);

  void Observe(const KsefCall& call);

 private:
  metrics::CounterFamily& calls_;
  metrics::HistogramFamily& durations_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_KSEF_API_KSEF_CALL_METRICS_H_
