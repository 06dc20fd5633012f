#include "broker/ksef_api/ksef_api_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker {
namespace {

using ::testing::HasSubstr;

TEST(KsefApiUrlTest, BuiltInEnvironmentsHaveTheOfficialAddresses) {
  EXPECT_EQ(BuiltInKsefApiUrl("test"), "https://api-test.ksef.mf.gov.pl/v2");
  EXPECT_EQ(BuiltInKsefApiUrl("demo"), "https://api-demo.ksef.mf.gov.pl/v2");
  EXPECT_EQ(BuiltInKsefApiUrl("prod"), "https://api.ksef.mf.gov.pl/v2");
  EXPECT_EQ(BuiltInKsefApiUrl("acme"), std::nullopt);
}

TEST(KsefApiUrlTest, HttpsUrlsAreAcceptedWithoutTrailingSlash) {
  EXPECT_EQ(*NormalizeKsefApiUrl("https://api-test.ksef.mf.gov.pl/v2/"),
            "https://api-test.ksef.mf.gov.pl/v2");
  EXPECT_EQ(*NormalizeKsefApiUrl("https://127.0.0.1:8443/v2"),
            "https://127.0.0.1:8443/v2");
  EXPECT_EQ(*NormalizeKsefApiUrl("https://[::1]:8443"), "https://[::1]:8443");
  EXPECT_EQ(*NormalizeKsefApiUrl("https://ksef.example/"),
            "https://ksef.example");
}

TEST(KsefApiUrlTest, OtherUrlsAreRefusedSayingWhy) {
  auto message = [](absl::string_view url) {
    auto result = NormalizeKsefApiUrl(url);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
        << url;
    return std::string(result.status().message());
  };
  EXPECT_THAT(message("http://127.0.0.1:8080/v2"), HasSubstr("plain http://"));
  EXPECT_THAT(message("ftp://x"), HasSubstr("must start with https://"));
  EXPECT_THAT(message("https://user:pw@host/v2"),
              HasSubstr("user information"));
  EXPECT_THAT(message("https://host/v2?x=1"), HasSubstr("query"));
  EXPECT_THAT(message("https://host:99999/v2"), HasSubstr("port"));
  EXPECT_THAT(message("https:///v2"), HasSubstr("no host"));
  EXPECT_THAT(message("https://ho st/v2"), HasSubstr("space"));
  EXPECT_THAT(message("https://host_name/v2"), HasSubstr("host"));
}

}  // namespace
}  // namespace sejf::broker
