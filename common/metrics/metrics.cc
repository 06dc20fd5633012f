#include "common/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sejf::metrics {

namespace {

[[noreturn]] void Misuse(absl::string_view what) {
  std::fprintf(stderr, "sejf metrics misuse: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

bool IsMetricName(absl::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

bool IsLabelName(absl::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

void AtomicAdd(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by,
                                       std::memory_order_relaxed)) {
  }
}

// `{a="x",b="y"` (no closing brace) for the family's labels; "" for none.
std::string OpenLabels(const std::vector<std::string>& names,
                       const std::vector<std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "{" : ",", names[i], "=\"",
                    EscapeLabelValue(values[i]), "\"");
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names,
                   const std::vector<std::string>& values) {
  std::string out = OpenLabels(names, values);
  if (!out.empty()) out += "}";
  return out;
}

absl::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void RenderHeader(absl::string_view name, absl::string_view help,
                  MetricType type, std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", EscapeHelp(help), "\n", "# TYPE ",
                  name, " ", TypeName(type), "\n");
}

void RenderFamily(const CounterFamily& family, std::string* out) {
  RenderHeader(family.name(), family.help(), MetricType::kCounter, out);
  family.ForEach([&](const std::vector<std::string>& values, const Counter& c) {
    absl::StrAppend(out, family.name(), Labels(family.label_names(), values),
                    " ", FormatValue(c.value()), "\n");
  });
}

void RenderFamily(const GaugeFamily& family, std::string* out) {
  RenderHeader(family.name(), family.help(), MetricType::kGauge, out);
  family.ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
    absl::StrAppend(out, family.name(), Labels(family.label_names(), values),
                    " ", FormatValue(g.value()), "\n");
  });
}

void RenderFamily(const HistogramFamily& family, std::string* out) {
  RenderHeader(family.name(), family.help(), MetricType::kHistogram, out);
  family.ForEach(
      [&](const std::vector<std::string>& values, const Histogram& h) {
        const HistogramSnapshot snap = h.Snapshot();
        std::string open = OpenLabels(family.label_names(), values);
        const std::string sep = open.empty() ? "{" : ",";
        for (std::size_t i = 0; i <= snap.upper_bounds.size(); ++i) {
          const std::string le = i < snap.upper_bounds.size()
                                     ? FormatValue(snap.upper_bounds[i])
                                     : std::string("+Inf");
          absl::StrAppend(out, family.name(), "_bucket", open, sep, "le=\"", le,
                          "\"} ", snap.cumulative[i], "\n");
        }
        const std::string labels = Labels(family.label_names(), values);
        absl::StrAppend(out, family.name(), "_sum", labels, " ",
                        FormatValue(snap.sum), "\n", family.name(), "_count",
                        labels, " ", snap.count, "\n");
      });
}

}  // namespace

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<std::int64_t>(value));
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return "NaN";
  return std::string(buffer, end);
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Counter::Increment(double by) {
  if (!(by >= 0)) return;
  AtomicAdd(value_, by);
}

void Gauge::Add(double by) { AtomicAdd(value_, by); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(upper_bounds_.size() + 1, 0) {
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    if (!std::isfinite(upper_bounds_[i]) ||
        (i > 0 && !(upper_bounds_[i] > upper_bounds_[i - 1]))) {
      Misuse("histogram buckets must be finite and strictly increasing");
    }
  }
}

void Histogram::Observe(double value) {
  const std::size_t bucket =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) -
      upper_bounds_.begin();
  absl::MutexLock lock(&mu_);
  ++counts_[bucket];
  sum_ += value;
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot snap;
  snap.upper_bounds = upper_bounds_;
  absl::MutexLock lock(&mu_);
  std::uint64_t running = 0;
  for (std::uint64_t c : counts_) {
    running += c;
    snap.cumulative.push_back(running);
  }
  snap.sum = sum_;
  snap.count = running;
  return snap;
}

template <typename Metric>
Family<Metric>::Family(std::string name, std::string help,
                       std::vector<std::string> label_names,
                       std::size_t max_series,
                       std::function<std::unique_ptr<Metric>()> make)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      max_series_(std::max<std::size_t>(1, max_series)),
      make_(std::move(make)) {}

template <typename Metric>
Metric& Family<Metric>::WithLabels(const LabelValues& values) {
  if (values.size() != label_names_.size()) {
    Misuse(absl::StrCat(name_, ": ", values.size(), " label values for ",
                        label_names_.size(), " labels"));
  }
  absl::MutexLock lock(&mu_);
  auto it = series_.find(values);
  if (it != series_.end()) return *it->second;
  LabelValues key = values;
  // The overflow series is allowed beyond the cap: the cap + 1 series at
  // most.
  if (series_.size() >= max_series_) {
    key.assign(label_names_.size(), std::string(kOverflowLabelValue));
    it = series_.find(key);
    if (it != series_.end()) return *it->second;
  }
  auto inserted = series_.emplace(std::move(key), make_());
  return *inserted.first->second;
}

template <typename Metric>
void Family<Metric>::Remove(const LabelValues& values) {
  absl::MutexLock lock(&mu_);
  series_.erase(values);
}

template <typename Metric>
void Family<Metric>::Clear() {
  absl::MutexLock lock(&mu_);
  series_.clear();
}

template <typename Metric>
void Family<Metric>::ForEach(
    const std::function<void(const LabelValues&, const Metric&)>& fn) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, metric] : series_) fn(values, *metric);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CollectorHandle::CollectorHandle(CollectorHandle&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), id_(other.id_) {}

CollectorHandle& CollectorHandle::operator=(CollectorHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

CollectorHandle::~CollectorHandle() { Reset(); }

void CollectorHandle::Reset() {
  if (registry_ != nullptr) registry_->RemoveCollector(id_);
  registry_ = nullptr;
}

template <typename Metric>
Family<Metric>& Registry::Add(
    MetricType type, absl::string_view name, absl::string_view help,
    std::vector<std::string> label_names, std::size_t max_series,
    std::function<std::unique_ptr<Metric>()> make,
    std::vector<std::unique_ptr<Family<Metric>>>& owned) {
  if (!IsMetricName(name)) Misuse(absl::StrCat("bad metric name ", name));
  for (const std::string& label : label_names) {
    if (!IsLabelName(label) ||
        (type == MetricType::kHistogram && label == "le")) {
      Misuse(absl::StrCat(name, ": bad label name ", label));
    }
  }
  auto found = by_name_.find(std::string(name));
  if (found != by_name_.end()) {
    const Entry& entry = entries_[found->second];
    const auto* family = static_cast<const Family<Metric>*>(entry.family);
    if (entry.type != type || family->label_names() != label_names) {
      Misuse(absl::StrCat(name, " registered twice, differently"));
    }
    return *const_cast<Family<Metric>*>(family);
  }
  const bool unlabelled = label_names.empty();
  owned.push_back(std::unique_ptr<Family<Metric>>(
      new Family<Metric>(std::string(name), std::string(help),
                         std::move(label_names), max_series, std::move(make))));
  Family<Metric>& family = *owned.back();
  if (unlabelled) family.WithLabels({});
  by_name_[std::string(name)] = entries_.size();
  entries_.push_back({type, &family});
  return family;
}

CounterFamily& Registry::AddCounter(absl::string_view name,
                                    absl::string_view help,
                                    std::vector<std::string> label_names,
                                    std::size_t max_series) {
  absl::MutexLock lock(&mu_);
  return Add<Counter>(
      MetricType::kCounter, name, help, std::move(label_names), max_series,
      [] { return std::make_unique<Counter>(); }, counters_);
}

GaugeFamily& Registry::AddGauge(absl::string_view name, absl::string_view help,
                                std::vector<std::string> label_names,
                                std::size_t max_series) {
  absl::MutexLock lock(&mu_);
  return Add<Gauge>(
      MetricType::kGauge, name, help, std::move(label_names), max_series,
      [] { return std::make_unique<Gauge>(); }, gauges_);
}

HistogramFamily& Registry::AddHistogram(absl::string_view name,
                                        absl::string_view help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> upper_bounds,
                                        std::size_t max_series) {
  // Checked here, not at the first series.
  Histogram check(upper_bounds);
  absl::MutexLock lock(&mu_);
  return Add<Histogram>(
      MetricType::kHistogram, name, help, std::move(label_names), max_series,
      [bounds = std::move(upper_bounds)] {
        return std::make_unique<Histogram>(bounds);
      },
      histograms_);
}

CollectorHandle Registry::AddCollector(std::function<void()> collect) {
  absl::MutexLock lock(&collect_mu_);
  const std::uint64_t id = next_collector_++;
  collectors_.emplace(id, std::move(collect));
  return CollectorHandle(this, id);
}

void Registry::RemoveCollector(std::uint64_t id) {
  absl::MutexLock lock(&collect_mu_);
  collectors_.erase(id);
}

std::string Registry::Render() const {
  {
    absl::MutexLock lock(&collect_mu_);
    for (const auto& [id, collect] : collectors_) collect();
  }
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const Entry& entry : entries_) {
    switch (entry.type) {
      case MetricType::kCounter:
        RenderFamily(*static_cast<const CounterFamily*>(entry.family), &out);
        break;
      case MetricType::kGauge:
        RenderFamily(*static_cast<const GaugeFamily*>(entry.family), &out);
        break;
      case MetricType::kHistogram:
        RenderFamily(*static_cast<const HistogramFamily*>(entry.family), &out);
        break;
    }
  }
  return out;
}

}  // namespace sejf::metrics
