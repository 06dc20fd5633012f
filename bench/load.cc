#include "bench/load.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>
#include <vector>

namespace sejf::bench {
namespace {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(std::ceil(p * sorted.size()));
  index = std::clamp<size_t>(index, 1, sorted.size()) - 1;
  return sorted[index];
}

}  // namespace

LoadResult RunLoad(const LoadOptions& options,
                   const std::function<absl::Status(int caller)>& call) {
  const bool counted = options.max_requests > 0;
  const absl::Time start = absl::Now();
  const absl::Time measure_from = counted ? start : start + options.warmup;
  const absl::Time stop_at = measure_from + options.duration;
  std::atomic<int64_t> issued{0};
  std::mutex mu;
  LoadResult result;
  std::vector<double> latencies_ms;
  absl::Time last_end = measure_from;

  auto caller = [&](int index) {
    std::vector<double> mine;
    int64_t ok = 0, errors = 0;
    std::string first_error;
    absl::Time my_last_end = measure_from;
    while (true) {
      if (counted) {
        if (issued.fetch_add(1) >= options.max_requests) break;
      }
      const absl::Time before = absl::Now();
      if (!counted && before >= stop_at) break;
      absl::Status status = call(index);
      const absl::Time after = absl::Now();
      if (before < measure_from) continue;  // warm-up
      my_last_end = std::max(my_last_end, after);
      if (status.ok()) {
        ++ok;
        mine.push_back(absl::ToDoubleMilliseconds(after - before));
      } else {
        ++errors;
        if (first_error.empty()) first_error = status.ToString();
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    result.ok += ok;
    result.errors += errors;
    if (result.first_error.empty()) result.first_error = first_error;
    latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    last_end = std::max(last_end, my_last_end);
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, options.concurrency); ++i) {
    threads.emplace_back(caller, i);
  }
  for (std::thread& t : threads) t.join();

  std::sort(latencies_ms.begin(), latencies_ms.end());
  result.seconds = absl::ToDoubleSeconds(last_end - measure_from);
  result.rps = result.seconds > 0 ? result.ok / result.seconds : 0;
  result.p50_ms = Percentile(latencies_ms, 0.50);
  result.p99_ms = Percentile(latencies_ms, 0.99);
  return result;
}

}  // namespace sejf::bench
