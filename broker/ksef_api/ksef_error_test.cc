#include "broker/ksef_api/ksef_error.h"

#include <gtest/gtest.h>

namespace sejf::broker {
namespace {

TEST(KsefErrorTest, TravelsWithTheStatusThroughCopies) {
  KsefError error{.http_status = 429,
                  .exception_codes = {},
                  .retry_after = absl::Seconds(7)};
  absl::Status status = WithKsefError(
      absl::ResourceExhaustedError("KSeF: too many requests"), error);
  absl::Status copy = status;
  ASSERT_TRUE(KsefErrorOf(copy).has_value());
  EXPECT_EQ(*KsefErrorOf(copy), error);
  EXPECT_EQ(copy.message(), "KSeF: too many requests");
}

TEST(KsefErrorTest, ExceptionCodesAreFoundByValue) {
  absl::Status status = WithKsefError(
      absl::FailedPreconditionError("refused"),
      KsefError{.http_status = 400, .exception_codes = {21301, 21470}});
  EXPECT_TRUE(HasKsefCode(status, 21301));
  EXPECT_TRUE(HasKsefCode(status, 21470));
  EXPECT_FALSE(HasKsefCode(status, 21111));
  EXPECT_FALSE(KsefErrorOf(status)->retry_after.has_value());
}

TEST(KsefErrorTest, OkAndPlainStatusesCarryNothing) {
  EXPECT_TRUE(
      WithKsefError(absl::OkStatus(), KsefError{.http_status = 500}).ok());
  EXPECT_FALSE(KsefErrorOf(absl::OkStatus()).has_value());
  EXPECT_FALSE(KsefErrorOf(absl::UnavailableError("x")).has_value());
  EXPECT_FALSE(HasKsefCode(absl::UnavailableError("x"), 21301));
}

TEST(KsefErrorTest, NoAnswerIsHttpStatusZero) {
  absl::Status status = WithKsefError(absl::UnavailableError("timeout"),
                                      KsefError{.http_status = 0});
  ASSERT_TRUE(KsefErrorOf(status).has_value());
  EXPECT_EQ(KsefErrorOf(status)->http_status, 0);
  EXPECT_TRUE(KsefErrorOf(status)->exception_codes.empty());
  EXPECT_FALSE(KsefErrorOf(status)->outcome_unknown);
}

TEST(KsefErrorTest, AnUnknownOutcomeTravelsWithTheStatus) {
  KsefError error{.http_status = 502, .outcome_unknown = true};
  absl::Status status =
      WithKsefError(absl::UnavailableError("answer lost"), error);
  ASSERT_TRUE(KsefErrorOf(status).has_value());
  EXPECT_EQ(*KsefErrorOf(status), error);
}

}  // namespace
}  // namespace sejf::broker
