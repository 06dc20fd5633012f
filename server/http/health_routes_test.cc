#include "server/http/health_routes.h"

#include <atomic>
#include <string>

#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::server {
namespace {

using ::sejf::testing::CommandResult;
using ::sejf::testing::RunCommand;
using ::testing::HasSubstr;

CommandResult Curl(const std::string& url) {
  return RunCommand({"/usr/bin/curl", "-sS", "-i", "--max-time", "20", url});
}

TEST(ReadinessTest, ReportsEachFailingCheckAndRunsAtMostOncePerPeriod) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  std::atomic<int> runs = 0;
  absl::Status storage = absl::OkStatus();
  Readiness readiness({{"hsm",
                        [&] {
                          ++runs;
                          return absl::OkStatus();
                        }},
                       {"storage", [&] { return storage; }}},
                      &clock);
  EXPECT_TRUE(readiness.Check().ready);
  storage = absl::UnavailableError("disk I/O error\nsecond line");
  EXPECT_TRUE(readiness.Check().ready);  // within the period: the last result
  EXPECT_EQ(runs, 1);
  clock.Advance(absl::Seconds(1));
  ReadinessResult result = readiness.Check();
  EXPECT_FALSE(result.ready);
  ASSERT_EQ(result.reasons.size(), 1u);
  EXPECT_EQ(result.reasons[0],
            "storage: UNAVAILABLE: disk I/O error second line");
  storage = absl::OkStatus();
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(readiness.Check().ready);
}

TEST(HealthRoutesTest, ServesMetricsHealthAndReadiness) {
  metrics::Registry registry;
  registry.AddCounter("sejf_test_total", "A test counter.")
      .WithLabels({})
      .Increment(5);
  absl::Status hsm = absl::OkStatus();
  Readiness readiness({{"hsm", [&] { return hsm; }}}, &SystemClock::Get(),
                      absl::ZeroDuration());
  auto listener =
      HttpListener::Start({.name = "metrics", .address = "127.0.0.1:0"},
                          HealthRoutes(&registry, &readiness));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const std::string base = "http://" + (*listener)->address();

  CommandResult metrics = Curl(base + "/metrics");
  EXPECT_THAT(metrics.out, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(metrics.out,
              HasSubstr("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(metrics.out, HasSubstr("\nsejf_test_total 5\n"));

  EXPECT_THAT(Curl(base + "/healthz").out, HasSubstr("\r\n\r\nok\n"));
  CommandResult ready = Curl(base + "/readyz");
  EXPECT_THAT(ready.out, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(ready.out, HasSubstr("\r\n\r\nready\n"));

  hsm = absl::UnavailableError("CKR_DEVICE_ERROR");
  CommandResult not_ready = Curl(base + "/readyz");
  EXPECT_THAT(not_ready.out, HasSubstr("HTTP/1.1 503"));
  EXPECT_THAT(not_ready.out,
              HasSubstr("not ready: hsm: UNAVAILABLE: CKR_DEVICE_ERROR\n"));
  // Liveness does not depend on readiness.
  EXPECT_THAT(Curl(base + "/healthz").out, HasSubstr("HTTP/1.1 200"));
}

}  // namespace
}  // namespace sejf::server
