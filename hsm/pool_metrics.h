// The HSM's pools as gauges, read at each scrape (docs/metrics.md, "HSM"):
//
//   sejf_hsm_sessions_open        PKCS#11 sessions open (idle + in use)
//   sejf_hsm_sessions_max         the session pool's size
//   sejf_hsm_workers_busy         CallPool workers running an HSM call now
//   sejf_hsm_workers_stuck        … running a call its caller gave up on
//   sejf_hsm_workers              the CallPool's size
//   sejf_hsm_calls_timed_out      calls answered UNAVAILABLE by the deadline
//   sejf_hsm_calls_rejected       calls refused at once, every worker stuck
//
// Keep the handle while both pools live. Thread-safety: thread-safe.
#ifndef SEJF_HSM_POOL_METRICS_H_
#define SEJF_HSM_POOL_METRICS_H_

#include "common/metrics/metrics.h"
#include "hsm/call_pool.h"
#include "hsm/pkcs11/session_pool.h"

namespace sejf::hsm {

[[nodiscard]] metrics::CollectorHandle CollectPoolMetrics(
    metrics::Registry* registry, const pkcs11::SessionPool* sessions,
    const CallPool* calls);

}  // namespace sejf::hsm

#endif  // SEJF_HSM_POOL_METRICS_H_
