#include "broker/ksef_api/ksef_call_metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(KsefCallMetricsTest, CountsCallsByEnvironmentEndpointAndStatus) {
  metrics::Registry registry;
  KsefCallMetrics ksef(&registry);
  KsefCall ok;
  ok.endpoint = "POST /auth/challenge";
  ok.http_status = 200;
  ok.duration = absl::Milliseconds(30);
  ok.environment = "test";
  ksef.Observe(ok);
  KsefCall unanswered;
  unanswered.endpoint = "GET /tokens/{referenceNumber}";
  unanswered.reference_number = "20251010-EC-1DCE3E3000-12ECB5B36E-45";
  unanswered.status = absl::UnavailableError("connection refused");
  unanswered.environment = "test";
  ksef.Observe(unanswered);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("sejf_ksef_calls_total{environment=\"test\","
                              "endpoint=\"POST /auth/challenge\",status="
                              "\"200\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("endpoint=\"GET /tokens/{referenceNumber}\","
                              "status=\"none\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("20251010-EC")));
}

}  // namespace
}  // namespace sejf::broker
