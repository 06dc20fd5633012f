// `make bench-scale`: the token vault with a large number of stored tokens
// (architecture §8: one million, lookups under 1 ms, start-up as fast as
// with an empty vault).
//
// RunScale starts a dev sejfd in a fresh directory once (first start
// bootstraps the PKI, the HSM token and the database), then:
//   1. restarts it `restarts` times on the empty vault (start-up time:
//      spawn until its banner names the listeners; the median is kept);
//   2. with the daemon stopped, stores `stored_tokens` tokens through
//      TokenVault::ImportBatch in this process, on the daemon's own
//      database and HSM token (the same sealing and records as ImportToken;
//      no audit events, since no RPC is made);
//   3. restarts it `restarts` times on the full vault (median again);
//   4. measures the empty RPC Identity.WhoAmI at 1 caller (the floor under
//      any RPC's latency, its durable audit append included) and lookups of
//      random stored tokens: TokenVault.GetToken over
//      mutual TLS at 1 and 32 callers, and TokenVault::Get in this process
//      (the storage lookup alone, on a second connection to the database).
//
// Thread-safety: not thread-safe; one run at a time.
#ifndef SEJF_BENCH_SCALE_H_
#define SEJF_BENCH_SCALE_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bench/results.h"

namespace sejf::bench {

struct ScaleOptions {
  int stored_tokens = 1000000;
  int restarts = 3;
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(10);
};

// Fills report->scale and adds the lookup scenarios to report->scenarios.
absl::Status RunScale(const ScaleOptions& options, Report* report);

}  // namespace sejf::bench

#endif  // SEJF_BENCH_SCALE_H_
