// KSeF's bodies as the OpenAPI shows them, parsed without a server.
#include "broker/ksef_api/ksef_wire.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker::wire {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

SecretBytes Body(absl::string_view text) { return SecretFromView(text); }

TEST(KsefWireTest, AuthStatusDetailsMayBeAbsentOrNull) {
  auto status = ParseAuthStatus(
      Body(R"({"startDate":"2025-07-11T12:23:56Z","status":{"code":100,)"
           R"("description":"Uwierzytelnianie w toku","details":null}})"));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->code, 100);
  EXPECT_THAT(status->details, IsEmpty());
  EXPECT_THAT(
      ParseAuthStatus(Body(R"({"status":{"code":"200"}})")).status().message(),
      HasSubstr("\"status.code\""));
}

TEST(KsefWireTest, TimesKeepKsefsSevenFractionalDigitsAndOffsets) {
  auto refreshed = ParseRefresh(
      Body(R"({"accessToken":{"token":"a.b.c",)"
           R"("validUntil":"2025-07-11T14:23:56.0154302+02:00"}})"));
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(refreshed->valid_until, absl::FromUnixNanos(1752236636015430200));
}

TEST(KsefWireTest, ParseErrorsNameTheFieldNeverTheValue) {
  for (absl::string_view body :
       {R"({"accessToken":{"token":"SECRET-VALUE"}})",
        R"({"accessToken":{"token":"SECRET-VALUE","validUntil":"x"}})",
        R"({"accessToken":"SECRET-VALUE"})", R"({"accessToken":"SECRET-VAL)"}) {
    absl::Status status = ParseRefresh(Body(body)).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << body;
    EXPECT_THAT(status.message(), Not(HasSubstr("SECRET")));
  }
}

TEST(KsefWireTest, ProblemDetailsAndLegacyTooManyRequestsAreRead) {
  ErrorBody problem = ParseErrorBody(Body(
      R"({"title":"Too Many Requests","status":429,"detail":"Limit 60/s."})"));
  EXPECT_EQ(problem.text, "Too Many Requests: Limit 60/s.");
  EXPECT_THAT(problem.codes, IsEmpty());
  ErrorBody legacy = ParseErrorBody(
      Body(R"({"status":{"code":429,"description":"Too Many Requests",)"
           R"("details":["Spróbuj za 5 s."]}})"));
  EXPECT_EQ(legacy.text, "Too Many Requests (Spróbuj za 5 s.)");
  ErrorBody several = ParseErrorBody(Body(
      R"({"exception":{"exceptionDetailList":[)"
      R"({"exceptionCode":9105,"exceptionDescription":"Nieprawidłowy podpis."},)"
      R"({"exceptionCode":21401,"details":["a","b"]}]}})"));
  EXPECT_THAT(several.codes, ElementsAre(9105, 21401));
  EXPECT_EQ(several.text, "9105 Nieprawidłowy podpis.; 21401 (a; b)");
  EXPECT_EQ(ParseErrorBody(Body("<html>502</html>")).text, "");
}

TEST(KsefWireTest, LongTextsAreCutOnACharacterBoundary) {
  std::string description(300, 'x');
  description += "żółć";
  std::string detail = "x";  // puts byte 240 inside a two-byte "ł"
  for (int i = 0; i < 400; ++i) detail += "ł";
  ErrorBody body = ParseErrorBody(Body(absl::StrCat(
      R"({"exception":{"exceptionDetailList":[{"exceptionCode":1,)",
      R"("exceptionDescription":")", description, R"(","details":[")", detail,
      R"("]}]}})")));
  EXPECT_LE(body.text.size(), 820u);
  EXPECT_THAT(body.text, HasSubstr("…"));
  // Every "ł" whole: no byte of a cut character is left.
  std::string without = body.text;
  for (std::size_t at; (at = without.find("ł")) != std::string::npos;) {
    without.erase(at, 2);
  }
  for (std::size_t at; (at = without.find("…")) != std::string::npos;) {
    without.erase(at, 3);
  }
  for (char c : without) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
}

TEST(KsefWireTest, RetryAfterIsWholeSeconds) {
  EXPECT_EQ(ParseRetryAfter("30"), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter(" 0 "), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("-1"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter(""), std::nullopt);
}

TEST(KsefWireTest, CertificatesMustBeAJsonArray) {
  EXPECT_TRUE(ParsePublicKeyCertificates(Body("[]")).ok());
  EXPECT_FALSE(ParsePublicKeyCertificates(Body("{}")).ok());
}

}  // namespace
}  // namespace sejf::broker::wire
