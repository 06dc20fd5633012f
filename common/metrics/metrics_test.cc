#include "common/metrics/metrics.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTextTest, RendersCountersAndGaugesExactly) {
  Registry registry;
  CounterFamily& rpcs =
      registry.AddCounter("sejf_rpc_requests_total", "RPCs by method and code.",
                          {"method", "code"});
  rpcs.WithLabels({"/sejf.v1.Identity/WhoAmI", "OK"}).Increment();
  rpcs.WithLabels({"/sejf.v1.Identity/WhoAmI", "OK"}).Increment(2);
  rpcs.WithLabels({"/sejf.v1.KeyCustody/GetKey", "NOT_FOUND"}).Increment();
  GaugeFamily& depth =
      registry.AddGauge("sejf_audit_queue_depth", "Events waiting.");
  depth.WithLabels({}).Set(7);

  EXPECT_EQ(registry.Render(),
            "# HELP sejf_rpc_requests_total RPCs by method and code.\n"
            "# TYPE sejf_rpc_requests_total counter\n"
            "sejf_rpc_requests_total{method=\"/sejf.v1.Identity/WhoAmI\","
            "code=\"OK\"} 3\n"
            "sejf_rpc_requests_total{method=\"/sejf.v1.KeyCustody/GetKey\","
            "code=\"NOT_FOUND\"} 1\n"
            "# HELP sejf_audit_queue_depth Events waiting.\n"
            "# TYPE sejf_audit_queue_depth gauge\n"
            "sejf_audit_queue_depth 7\n");
}

TEST(MetricsTextTest, UnlabelledFamilyShowsZeroBeforeAnyUse) {
  Registry registry;
  registry.AddCounter("sejf_things_total", "Things.");
  EXPECT_THAT(registry.Render(), HasSubstr("\nsejf_things_total 0\n"));
}

TEST(MetricsTextTest, LabelledFamilyWithoutSeriesHasOnlyItsHeader) {
  Registry registry;
  registry.AddCounter("sejf_denials_total", "Denials.", {"operation"});
  EXPECT_EQ(registry.Render(),
            "# HELP sejf_denials_total Denials.\n"
            "# TYPE sejf_denials_total counter\n");
}

TEST(MetricsTextTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  HistogramFamily& latency = registry.AddHistogram(
      "sejf_op_duration_seconds", "Latency.", {"operation"}, {0.01, 0.1, 1});
  Histogram& sign = latency.WithLabels({"Sign"});
  sign.Observe(0.005);  // le 0.01
  sign.Observe(0.01);   // le 0.01: bounds are inclusive
  sign.Observe(0.5);    // le 1
  sign.Observe(3);      // +Inf only

  EXPECT_EQ(registry.Render(),
            "# HELP sejf_op_duration_seconds Latency.\n"
            "# TYPE sejf_op_duration_seconds histogram\n"
            "sejf_op_duration_seconds_bucket{operation=\"Sign\",le=\"0.01\"} "
            "2\n"
            "sejf_op_duration_seconds_bucket{operation=\"Sign\",le=\"0.1\"} "
            "2\n"
            "sejf_op_duration_seconds_bucket{operation=\"Sign\",le=\"1\"} 3\n"
            "sejf_op_duration_seconds_bucket{operation=\"Sign\",le=\"+Inf\"} "
            "4\n"
            "sejf_op_duration_seconds_sum{operation=\"Sign\"} 3.515\n"
            "sejf_op_duration_seconds_count{operation=\"Sign\"} 4\n");
}

TEST(MetricsTextTest, UnlabelledHistogramPutsLeAlone) {
  Registry registry;
  registry.AddHistogram("sejf_append_seconds", "Appends.", {}, {1})
      .WithLabels({})
      .ObserveDuration(absl::Milliseconds(250));
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("sejf_append_seconds_bucket{le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_append_seconds_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_append_seconds_sum 0.25\n"));
  EXPECT_THAT(text, HasSubstr("sejf_append_seconds_count 1\n"));
}

TEST(MetricsTextTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeHelp("two\nlines \\ and \"quotes\""),
            "two\\nlines \\\\ and \"quotes\"");

  Registry registry;
  registry.AddGauge("sejf_x", "Help with \\ and\nnewline.", {"name"})
      .WithLabels({"we\"ird\\\nname"})
      .Set(1);
  EXPECT_EQ(registry.Render(),
            "# HELP sejf_x Help with \\\\ and\\nnewline.\n"
            "# TYPE sejf_x gauge\n"
            "sejf_x{name=\"we\\\"ird\\\\\\nname\"} 1\n");
}

TEST(MetricsTextTest, FormatsValues) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(1767225600), "1767225600");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(0.0025), "0.0025");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

// promtool (Debian's prometheus package), a parser independent of ours,
// accepts what Render writes, odd label values included.
TEST(MetricsTextTest, PromtoolAcceptsTheText) {
  Registry registry;
  registry.AddCounter("sejf_calls_total", "Calls.", {"method", "code"})
      .WithLabels({"/a.B/C", "OK"})
      .Increment(3);
  registry
      .AddGauge("sejf_expiry_timestamp_seconds", "When \\ it\nends.", {"name"})
      .WithLabels({"we\"ird\\\nname ż"})
      .Set(1767225600.5);
  registry
      .AddHistogram("sejf_call_duration_seconds", "Latency.", {"method"},
                    kLatencyBuckets)
      .WithLabels({"/a.B/C"})
      .Observe(0.003);
  registry.AddGauge("sejf_unused", "Never set.", {"x"});
  sejf::testing::TempDir dir;
  const std::string file = dir.Write("metrics.txt", registry.Render());
  sejf::testing::CommandResult r = sejf::testing::RunCommand(
      {"/bin/sh", "-c", "promtool check metrics < " + file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(MetricsTest, CountersNeverGoDown) {
  Counter counter;
  counter.Increment(2);
  counter.Increment(-1);
  counter.Increment(std::nan(""));
  EXPECT_EQ(counter.value(), 2);
}

TEST(MetricsTest, RegisteringTheSameFamilyAgainReturnsIt) {
  Registry registry;
  CounterFamily& a = registry.AddCounter("sejf_a_total", "A.", {"x"});
  CounterFamily& b = registry.AddCounter("sejf_a_total", "A.", {"x"});
  EXPECT_EQ(&a, &b);
  a.WithLabels({"1"}).Increment();
  EXPECT_EQ(b.WithLabels({"1"}).value(), 1);
}

TEST(MetricsDeathTest, MisuseAborts) {
  Registry registry;
  registry.AddCounter("sejf_a_total", "A.", {"x"});
  EXPECT_DEATH(registry.AddGauge("sejf_a_total", "A.", {"x"}),
               "registered twice");
  EXPECT_DEATH(registry.AddCounter("sejf-bad", "B."), "bad metric name");
  EXPECT_DEATH(registry.AddCounter("sejf_b_total", "B.", {"__x"}),
               "bad label name");
  EXPECT_DEATH(registry.AddHistogram("sejf_h", "H.", {"le"}, {1}),
               "bad label name");
  EXPECT_DEATH(registry.AddHistogram("sejf_h", "H.", {}, {1, 1}),
               "strictly increasing");
  CounterFamily& a = registry.AddCounter("sejf_a_total", "A.", {"x"});
  EXPECT_DEATH(a.WithLabels({"1", "2"}), "2 label values for 1 labels");
}

TEST(MetricsTest, SeriesBeyondTheCapGoToTheOverflowSeries) {
  Registry registry;
  CounterFamily& family =
      registry.AddCounter("sejf_capped_total", "Capped.", {"name"},
                          /*max_series=*/2);
  family.WithLabels({"a"}).Increment();
  family.WithLabels({"b"}).Increment();
  family.WithLabels({"c"}).Increment();
  family.WithLabels({"d"}).Increment();
  family.WithLabels({"a"}).Increment();
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("sejf_capped_total{name=\"a\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("sejf_capped_total{name=\"b\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_capped_total{name=\"other\"} 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("name=\"c\"")));
  EXPECT_THAT(text, Not(HasSubstr("name=\"d\"")));
}

TEST(MetricsTest, CollectorsRunBeforeEachRenderUntilTheirHandleGoes) {
  Registry registry;
  GaugeFamily& keys =
      registry.AddGauge("sejf_keys", "Keys by state.", {"state"});
  int runs = 0;
  {
    CollectorHandle handle = registry.AddCollector([&] {
      ++runs;
      keys.Clear();
      keys.WithLabels({"active"}).Set(runs);
    });
    EXPECT_THAT(registry.Render(), HasSubstr("sejf_keys{state=\"active\"} 1"));
    EXPECT_THAT(registry.Render(), HasSubstr("sejf_keys{state=\"active\"} 2"));
  }
  registry.Render();
  EXPECT_EQ(runs, 2);
}

TEST(MetricsTest, RemoveDropsOneSeries) {
  Registry registry;
  GaugeFamily& expiry =
      registry.AddGauge("sejf_expiry", "Expiry.", {"credential"});
  expiry.WithLabels({"a"}).Set(1);
  expiry.WithLabels({"b"}).Set(2);
  expiry.Remove({"a"});
  const std::string text = registry.Render();
  EXPECT_THAT(text, Not(HasSubstr("credential=\"a\"")));
  EXPECT_THAT(text, HasSubstr("sejf_expiry{credential=\"b\"} 2"));
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
  Registry registry;
  CounterFamily& family = registry.AddCounter("sejf_c_total", "C.", {"t"});
  HistogramFamily& hist =
      registry.AddHistogram("sejf_h_seconds", "H.", {}, {0.5});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        family.WithLabels({"x"}).Increment();
        hist.WithLabels({}).Observe(1);
        if (i % 100 == 0) registry.Render();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(family.WithLabels({"x"}).value(), 4000);
  EXPECT_EQ(hist.WithLabels({}).Snapshot().count, 4000u);
}

}  // namespace
}  // namespace sejf::metrics
