// sejfd's metrics and health endpoints on an HttpListener (docs/metrics.md):
//
//   GET /metrics  the Registry in the Prometheus text format 0.0.4
//   GET /healthz  200 "ok": the process serves HTTP (liveness)
//   GET /readyz   200 "ready" when every readiness check passes, else 503
//                 "not ready: <check>: <reason>" (one line per failing
//                 check) — for load balancers and Kubernetes readiness
//
// Readiness runs its checks (sejfd's: the HSM answers a logged-in call,
// storage reads, the audit log's storage takes a write) at most once per
// `cache_for`, however many probes arrive (concurrent probes share one
// run), so a flood of /readyz costs the HSM and the database nothing more.
// Reasons are status messages clipped to 200 bytes: they name codes and
// files, never a secret (no check handles one).
//
// Thread-safety: thread-safe.
#ifndef SEJF_SERVER_HTTP_HEALTH_ROUTES_H_
#define SEJF_SERVER_HTTP_HEALTH_ROUTES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/metrics/metrics.h"
#include "server/http/http_listener.h"

namespace sejf::server {

struct ReadinessCheck {
  std::string name;                     // "hsm", "storage", "audit"
  std::function<absl::Status()> check;  // OK when ready
};

struct ReadinessResult {
  bool ready = true;
  // "hsm: UNAVAILABLE: …", one per failing check, in check order.
  std::vector<std::string> reasons;
};

class Readiness {
 public:
  Readiness(std::vector<ReadinessCheck> checks, const Clock* clock,
            absl::Duration cache_for = absl::Seconds(1));

  ReadinessResult Check();

 private:
  const std::vector<ReadinessCheck> checks_;
  const Clock* const clock_;
  const absl::Duration cache_for_;
  absl::Mutex mu_;  // held while checks run: concurrent probes wait, share
  absl::Time checked_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  ReadinessResult last_ ABSL_GUARDED_BY(mu_);
};

// The three routes above. `registry` and `readiness` must outlive the
// listener serving them.
std::vector<HttpRoute> HealthRoutes(const metrics::Registry* registry,
                                    Readiness* readiness);

}  // namespace sejf::server

#endif  // SEJF_SERVER_HTTP_HEALTH_ROUTES_H_
