#include "signer/ksef/challenge.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sejf::signer {
namespace {

absl::Time Utc(int y, int m, int d, int hh = 12, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm),
                         absl::UTCTimeZone());
}

constexpr char kChallenge[] = "20250514-CR-226FB7B000-3ACF9BE4C0-10";

TEST(ChallengeTest, AcceptsAChallengeOfToday) {
  EXPECT_TRUE(ValidateChallenge(kChallenge, Utc(2025, 5, 14)).ok());
}

TEST(ChallengeTest, AcceptsADayEitherSideAcrossMidnightUtc) {
  EXPECT_TRUE(ValidateChallenge(kChallenge, Utc(2025, 5, 15, 23, 59)).ok());
  EXPECT_TRUE(ValidateChallenge(kChallenge, Utc(2025, 5, 13, 0, 1)).ok());
}

TEST(ChallengeTest, RefusesAStaleChallengeSayingSo) {
  for (absl::Time now :
       {Utc(2025, 5, 16, 0, 0), Utc(2025, 5, 12, 23, 59), Utc(2026, 5, 14)}) {
    absl::Status s = ValidateChallenge(kChallenge, now);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << now;
    EXPECT_TRUE(absl::StrContains(s.message(), "challenge is stale")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "2025-05-14")) << s;
  }
}

TEST(ChallengeTest, RefusesMalformedChallengesNamingTheForm) {
  const char* bad[] = {
      "",
      "20250514-CR-226FB7B000-3ACF9BE4C0-1",    // short
      "20250514-CR-226FB7B000-3ACF9BE4C0-100",  // long
      "20250514-CR-226fb7b000-3ACF9BE4C0-10",   // lower-case hex
      "20250514-AU-226FB7B000-3ACF9BE4C0-10",   // another reference type
      "2025051X-CR-226FB7B000-3ACF9BE4C0-10",
      "20250514-CR-226FB7B000 3ACF9BE4C0-10",
      "20250514-CR-226FB7B000-3ACF9BE4C0-G0",
      "20250514-CR-<a>B7B000-3ACF9BE4C0-10",  // markup
      " 20250514-CR-226FB7B000-3ACF9BE4C0-1",
      "20250230-CR-226FB7B000-3ACF9BE4C0-10",  // 30 February
      "20251314-CR-226FB7B000-3ACF9BE4C0-10",  // month 13
  };
  for (const char* challenge : bad) {
    absl::Status s = ValidateChallenge(challenge, Utc(2025, 5, 14), "req.c");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << challenge;
    EXPECT_TRUE(absl::StartsWith(
        s.message(), "req.c must match YYYYMMDD-CR-XXXXXXXXXX-XXXXXXXXXX-XX"))
        << s;
  }
}

}  // namespace
}  // namespace sejf::signer
