// The benchmark's report: a text table for people and results.json for
// tools. The JSON (one object, written by WriteResultsJson):
//
//   {"baselines": {"pkcs11_sign_ec_p256_rps": R, "grpc_empty_call_rps": R},
//    "scenarios": [{"name": S, "concurrency": N, "rps": R, "p50_ms": R,
//                   "p99_ms": R, "server_rss_mb": R}, ...],
//    "ratios": {"auth_xades_vs_limit": R, "session_token_vs_empty_call": R},
//    "notes": [S, ...]}
//
// A `--scale` run writes "scale": {"stored_tokens": N, "seed_seconds": R,
// "startup_ms_empty": R, "startup_ms_full": R} and its lookup scenarios,
// without "baselines" and "ratios".
//
// auth_xades_vs_limit = the best auth_xades_ec_p256 rps divided by
// 1 / (1/grpc_empty_call_rps + 1/pkcs11_sign_ec_p256_rps); 0 when a rate is
// missing. session_token_vs_empty_call = the session_token_cached rps
// divided by grpc_empty_call_rps (target ≥ 0.9: a cached access token costs
// little more than an empty call); 0 when either is missing.
// server_rss_mb is the daemon's VmHWM (peak RSS since it started,
// MiB) read right after the scenario; for the in-process scenarios it is
// sejf-bench's own VmHWM. "notes" says what was scaled down (stored tokens,
// smoke mode). grpc_empty_call_rps is the best grpc_empty_call scenario.
//
// Thread-safety: plain values and free functions; not thread-safe.
#ifndef SEJF_BENCH_RESULTS_H_
#define SEJF_BENCH_RESULTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/load.h"

namespace sejf::bench {

struct ScenarioResult {
  std::string name;
  int concurrency = 1;
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double server_rss_mb = 0;
  long errors = 0;  // NOLINT: failed requests (printed, not in the JSON)
};

// The vault at size (`make bench-scale`, bench/scale.h).
struct ScaleResult {
  int stored_tokens = 0;
  double seed_seconds = 0;      // storing them (TokenVault::ImportBatch)
  double startup_ms_empty = 0;  // median sejfd start-up, empty vault
  double startup_ms_full = 0;   // the same with stored_tokens stored
};

struct Report {
  std::optional<ScaleResult> scale;
  double pkcs11_sign_ec_p256_rps = 0;
  double grpc_empty_call_rps = 0;
  std::vector<ScenarioResult> scenarios;
  std::vector<std::string> notes;  // e.g. scaled-down parameters
};

// Adds the scenario `name` measured by `load` to `report` and prints one
// progress line (and the first error, if any) to stderr.
void AddScenario(Report* report, const std::string& name, int concurrency,
                 const LoadResult& load, double server_rss_mb);

// 1 / (1/a + 1/b), 0 when either is not positive.
double Limit(double empty_rps, double sign_rps);
double AuthXadesVsLimit(const Report& report);
double SessionTokenVsEmptyCall(const Report& report);

// The table, baselines and ratio as text.
std::string FormatTable(const Report& report);
std::string ToJson(const Report& report);
// Writes ToJson(report) to `path`, creating its directory.
absl::Status WriteResultsJson(const Report& report, const std::string& path);

}  // namespace sejf::bench

#endif  // SEJF_BENCH_RESULTS_H_
