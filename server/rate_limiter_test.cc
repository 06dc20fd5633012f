#include "server/rate_limiter.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sejf::server {
namespace {

class RateLimiterTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
};

TEST_F(RateLimiterTest, DisabledAdmitsEverythingAndKeepsNothing) {
  RateLimiter limiter({.requests_per_second = 0, .burst = 0}, clock_);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Admit("erp").allowed);
  EXPECT_EQ(limiter.TrackedIdentities(), 0u);
}

TEST_F(RateLimiterTest, BurstIsAdmittedThenRefusedWithTheTimeToTheNextToken) {
  RateLimiter limiter({.requests_per_second = 4, .burst = 3}, clock_);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit("erp").allowed) << i;
  RateDecision refused = limiter.Admit("erp");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, absl::Milliseconds(250));

  clock_.Advance(absl::Milliseconds(100));
  refused = limiter.Admit("erp");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, absl::Milliseconds(150));

  clock_.Advance(absl::Milliseconds(150));
  EXPECT_TRUE(limiter.Admit("erp").allowed);
  EXPECT_FALSE(limiter.Admit("erp").allowed);
}

TEST_F(RateLimiterTest, OneIdentityFloodingLeavesOthersTheirOwnBurst) {
  RateLimiter limiter({.requests_per_second = 1, .burst = 2}, clock_);
  for (int i = 0; i < 100; ++i) limiter.Admit("flooder");
  EXPECT_FALSE(limiter.Admit("flooder").allowed);
  EXPECT_TRUE(limiter.Admit("erp").allowed);
  EXPECT_TRUE(limiter.Admit("erp").allowed);
  EXPECT_FALSE(limiter.Admit("erp").allowed);
}

TEST_F(RateLimiterTest, RefillNeverExceedsTheBurst) {
  RateLimiter limiter({.requests_per_second = 10, .burst = 2}, clock_);
  clock_.Advance(absl::Hours(5));
  EXPECT_TRUE(limiter.Admit("erp").allowed);
  EXPECT_TRUE(limiter.Admit("erp").allowed);
  EXPECT_FALSE(limiter.Admit("erp").allowed);
}

TEST_F(RateLimiterTest, AStreakOfRefusalsIsReportedOnceAndCountedAtItsEnd) {
  RateLimiter limiter({.requests_per_second = 1, .burst = 1}, clock_);
  EXPECT_TRUE(limiter.Admit("erp").allowed);
  RateDecision first = limiter.Admit("erp");
  EXPECT_FALSE(first.allowed);
  EXPECT_TRUE(first.first_refusal);
  for (int i = 0; i < 41; ++i) {
    RateDecision again = limiter.Admit("erp");
    EXPECT_FALSE(again.allowed);
    EXPECT_FALSE(again.first_refusal);
  }
  clock_.Advance(absl::Seconds(1));
  RateDecision admitted = limiter.Admit("erp");
  EXPECT_TRUE(admitted.allowed);
  EXPECT_EQ(admitted.refused_before, 42);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(limiter.Admit("erp").refused_before, 0);
  EXPECT_TRUE(limiter.Admit("erp").first_refusal);
}

TEST_F(RateLimiterTest, TheMapOfIdentitiesStaysBounded) {
  RateLimiter limiter({.requests_per_second = 1, .burst = 5}, clock_);
  const std::size_t many = RateLimiter::kMaxIdentities + 500;
  for (std::size_t i = 0; i < many; ++i) {
    EXPECT_TRUE(limiter.Admit(absl::StrCat("id-", i)).allowed);
  }
  EXPECT_LE(limiter.TrackedIdentities(), RateLimiter::kMaxIdentities);
}

TEST_F(RateLimiterTest, IdleIdentitiesAreEvictedBeforeBusyOnes) {
  RateLimiter limiter({.requests_per_second = 1, .burst = 2}, clock_);
  // The busy identity is in a streak of refusals.
  limiter.Admit("busy");
  limiter.Admit("busy");
  EXPECT_FALSE(limiter.Admit("busy").allowed);
  // The map fills with one-call identities, which then refill.
  for (std::size_t i = 0; i + 1 < RateLimiter::kMaxIdentities; ++i) {
    limiter.Admit(absl::StrCat("id-", i));
  }
  EXPECT_EQ(limiter.TrackedIdentities(), RateLimiter::kMaxIdentities);
  clock_.Advance(absl::Seconds(1));
  // Room is needed: the idle (full again) buckets go, the busy one stays.
  EXPECT_TRUE(limiter.Admit("newcomer").allowed);
  EXPECT_EQ(limiter.TrackedIdentities(), 2u);
  EXPECT_EQ(limiter.Admit("busy").refused_before, 1);
}

}  // namespace
}  // namespace sejf::server
