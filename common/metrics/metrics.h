// Metrics that domain objects own and sejfd exports in the Prometheus text
// exposition format 0.0.4 (docs/metrics.md lists every metric sejf has).
//
//   metrics::Registry registry;
//   metrics::CounterFamily& calls = registry.AddCounter(
//       "sejf_hsm_operations_total", "HSM calls by operation.", {"operation"});
//   calls.WithLabels({"Sign"}).Increment();
//   metrics::HistogramFamily& latency = registry.AddHistogram(
//       "sejf_hsm_operation_duration_seconds", "…", {"operation"},
//       metrics::kLatencyBuckets);
//   latency.WithLabels({"Sign"}).Observe(0.004);
//   std::string text = registry.Render();  // what GET /metrics answers
//
// Families are registered once (at start) and live as long as the
// Registry; callers keep the references Add* return. A series (one set of
// label values) is created on first use and then lives until Remove/Clear.
// Values that are cheaper to read when scraped than to keep current (pool
// use, vault counts) are set by collectors, which Render runs first.
//
// Cardinality: label values must come from bounded sets the code controls
// (method names from the descriptors, operation names, credential names —
// never a request's free text, never a secret). As a last guard a family
// holds at most `max_series` series; values beyond are counted in one series
// whose every label is "other" (kOverflowLabelValue).
//
// Misuse is a programming error and aborts: an invalid metric or label
// name, a name registered twice with a different type or labels, WithLabels
// with the wrong number of values, histogram buckets not strictly
// increasing.
//
// Thread-safety: everything here is thread-safe; Increment/Set/Observe are
// cheap (atomics; one short mutex per histogram observation).
#ifndef SEJF_COMMON_METRICS_METRICS_H_
#define SEJF_COMMON_METRICS_METRICS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sejf::metrics {

// The Content-Type of Registry::Render's text.
inline constexpr absl::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Label value of the series that takes what exceeds a family's max_series.
inline constexpr absl::string_view kOverflowLabelValue = "other";

// Default upper bounds (seconds) for latencies from 1 ms to 30 s: HSM calls,
// storage transactions, audit appends, RPCs, KSeF calls.
inline const std::vector<double> kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

inline constexpr std::size_t kDefaultMaxSeries = 10000;

class Counter {
 public:
  // `by` must not be negative (ignored when it is: counters only go up).
  void Increment(double by = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

struct HistogramSnapshot {
  std::vector<double> upper_bounds;       // without +Inf
  std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
  double sum = 0;
  std::uint64_t count = 0;  // == cumulative.back()
};

class Histogram {
 public:
  // `upper_bounds` strictly increasing, finite; +Inf is implicit.
  explicit Histogram(std::vector<double> upper_bounds);

  // Counts `value` in the first bucket whose bound is >= value (le).
  void Observe(double value);
  void ObserveDuration(absl::Duration d) { Observe(absl::ToDoubleSeconds(d)); }
  HistogramSnapshot Snapshot() const;

 private:
  const std::vector<double> upper_bounds_;
  mutable absl::Mutex mu_;
  std::vector<std::uint64_t> counts_ ABSL_GUARDED_BY(mu_);  // per bucket, +Inf
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

enum class MetricType { kCounter, kGauge, kHistogram };

// A metric name with its series, one per set of label values.
template <typename Metric>
class Family {
 public:
  using LabelValues = std::vector<std::string>;

  // The series for `values` (one per label name, in order), created at 0
  // on first use. The reference stays valid until Remove/Clear drops the
  // series.
  Metric& WithLabels(const LabelValues& values);
  // Drops one series / every series (e.g. a credential that was deleted).
  void Remove(const LabelValues& values);
  void Clear();

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Calls `fn(values, metric)` for every series, in label order, under the
  // family's lock (fn must not call back into the family).
  void ForEach(
      const std::function<void(const LabelValues&, const Metric&)>& fn) const;

 private:
  friend class Registry;
  Family(std::string name, std::string help,
         std::vector<std::string> label_names, std::size_t max_series,
         std::function<std::unique_ptr<Metric>()> make);

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::size_t max_series_;
  const std::function<std::unique_ptr<Metric>()> make_;
  mutable absl::Mutex mu_;
  std::map<LabelValues, std::unique_ptr<Metric>> series_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry;

// Keeps a collector registered; removes it when destroyed (after a Render
// running it has finished). Move-only.
class CollectorHandle {
 public:
  CollectorHandle() = default;
  CollectorHandle(CollectorHandle&& other) noexcept;
  CollectorHandle& operator=(CollectorHandle&& other) noexcept;
  ~CollectorHandle();

 private:
  friend class Registry;
  CollectorHandle(Registry* registry, std::uint64_t id)
      : registry_(registry), id_(id) {}
  void Reset();

  Registry* registry_ = nullptr;
  std::uint64_t id_ = 0;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers a family (or returns the one registered under `name` with the
  // same type and label names). Names: [a-zA-Z_:][a-zA-Z0-9_:]*; label
  // names: [a-zA-Z_][a-zA-Z0-9_]*, not "__…", not "le" for histograms. A
  // family without labels has its one series from the start (so it shows
  // 0 before anything happened).
  CounterFamily& AddCounter(absl::string_view name, absl::string_view help,
                            std::vector<std::string> label_names = {},
                            std::size_t max_series = kDefaultMaxSeries);
  GaugeFamily& AddGauge(absl::string_view name, absl::string_view help,
                        std::vector<std::string> label_names = {},
                        std::size_t max_series = kDefaultMaxSeries);
  HistogramFamily& AddHistogram(absl::string_view name, absl::string_view help,
                                std::vector<std::string> label_names,
                                std::vector<double> upper_bounds,
                                std::size_t max_series = kDefaultMaxSeries);

  // `collect` runs at the start of every Render (on the scraping thread,
  // one collector at a time) to set gauges from state read then. It must
  // not call Render or AddCollector. Keep the handle as long as what
  // `collect` uses lives.
  [[nodiscard]] CollectorHandle AddCollector(std::function<void()> collect);

  // Runs the collectors, then every family in registration order, as
  // Prometheus text format 0.0.4: "# HELP", "# TYPE", one line per series
  // (histograms: _bucket per bound with le, +Inf, _sum, _count).
  std::string Render() const;

 private:
  friend class CollectorHandle;
  struct Entry {
    MetricType type;
    const void* family;  // the Family<…> of `type`
  };
  template <typename Metric>
  Family<Metric>& Add(MetricType type, absl::string_view name,
                      absl::string_view help,
                      std::vector<std::string> label_names,
                      std::size_t max_series,
                      std::function<std::unique_ptr<Metric>()> make,
                      std::vector<std::unique_ptr<Family<Metric>>>& owned)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveCollector(std::uint64_t id);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<CounterFamily>> counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<GaugeFamily>> gauges_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<HistogramFamily>> histograms_
      ABSL_GUARDED_BY(mu_);
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::size_t> by_name_ ABSL_GUARDED_BY(mu_);
  // Render holds collect_mu_ while collectors run, so a collector's handle
  // can be dropped only between renders.
  mutable absl::Mutex collect_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::map<std::uint64_t, std::function<void()>> collectors_
      ABSL_GUARDED_BY(collect_mu_);
  std::uint64_t next_collector_ ABSL_GUARDED_BY(collect_mu_) = 1;
};

// The text format's pieces, exposed for tests.
// A sample value: integers without a fraction, others in the shortest
// form that reads back exactly; "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);
// A label value inside its quotes: \ → \\, " → \", newline → \n.
std::string EscapeLabelValue(absl::string_view value);
// A HELP text: \ → \\, newline → \n.
std::string EscapeHelp(absl::string_view help);

}  // namespace sejf::metrics

#endif  // SEJF_COMMON_METRICS_METRICS_H_
