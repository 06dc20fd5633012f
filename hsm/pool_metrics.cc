#include "hsm/pool_metrics.h"

namespace sejf::hsm {

metrics::CollectorHandle CollectPoolMetrics(metrics::Registry* registry,
                                            const pkcs11::SessionPool* sessions,
                                            const CallPool* calls) {
  metrics::GaugeFamily& open = registry->AddGauge(
      "sejf_hsm_sessions_open", "PKCS#11 sessions open (idle and in use).");
  metrics::GaugeFamily& max = registry->AddGauge(
      "sejf_hsm_sessions_max", "The PKCS#11 session pool's size.");
  metrics::GaugeFamily& busy = registry->AddGauge(
      "sejf_hsm_workers_busy", "HSM call workers running a call now.");
  metrics::GaugeFamily& stuck = registry->AddGauge(
      "sejf_hsm_workers_stuck",
      "HSM call workers still running a call that passed its deadline.");
  metrics::GaugeFamily& workers = registry->AddGauge(
      "sejf_hsm_workers", "HSM call workers ([hsm] sessions).");
  metrics::GaugeFamily& timed_out = registry->AddGauge(
      "sejf_hsm_calls_timed_out",
      "HSM calls answered UNAVAILABLE at [hsm] call_timeout_seconds since "
      "start.");
  metrics::GaugeFamily& rejected = registry->AddGauge(
      "sejf_hsm_calls_rejected",
      "HSM calls refused at once because every worker was stuck, since "
      "start.");
  return registry->AddCollector([=, &open, &max, &busy, &stuck, &workers,
                                 &timed_out, &rejected] {
    open.WithLabels({}).Set(sessions->open_sessions());
    max.WithLabels({}).Set(sessions->max_sessions());
    busy.WithLabels({}).Set(calls->busy_workers());
    stuck.WithLabels({}).Set(calls->stuck_workers());
    workers.WithLabels({}).Set(calls->options().workers);
    timed_out.WithLabels({}).Set(static_cast<double>(calls->timed_out_calls()));
    rejected.WithLabels({}).Set(static_cast<double>(calls->rejected_calls()));
  });
}

}  // namespace sejf::hsm
