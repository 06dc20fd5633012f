// A closed-loop load generator: N caller threads, each issuing one request
// after the other, for a warm-up and then a measured period (or until a
// number of requests completed).
//
//   LoadOptions options{.concurrency = 8, .warmup = absl::Seconds(1),
//                       .duration = absl::Seconds(5)};
//   LoadResult r = RunLoad(options, [&](int caller) { return Call(caller); });
//
// Latencies are measured around each call with absl::Now() and only for calls
// that started after the warm-up. Requests per second count only the calls
// that succeeded in the measured period.
//
// Thread-safety: RunLoad may be called from one thread at a time; `call` is
// invoked concurrently from `concurrency` threads and must be thread-safe.
#ifndef SEJF_BENCH_LOAD_H_
#define SEJF_BENCH_LOAD_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sejf::bench {

struct LoadOptions {
  int concurrency = 1;
  absl::Duration warmup = absl::Seconds(1);
  // The measured period; ignored when max_requests > 0.
  absl::Duration duration = absl::Seconds(5);
  // When > 0: no warm-up; the load stops after this many calls in total
  // (successful or not).
  int64_t max_requests = 0;
};

struct LoadResult {
  int64_t ok = 0;           // successful calls in the measured period
  int64_t errors = 0;       // failed calls in the measured period
  std::string first_error;  // the first failure's status, if any
  double seconds = 0;       // the measured period's real length
  double rps = 0;           // ok / seconds
  double p50_ms = 0;
  double p99_ms = 0;
};

// `call(caller)` does one request as caller `caller` (0..concurrency-1).
LoadResult RunLoad(const LoadOptions& options,
                   const std::function<absl::Status(int caller)>& call);

}  // namespace sejf::bench

#endif  // SEJF_BENCH_LOAD_H_
