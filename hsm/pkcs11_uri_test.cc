#include "hsm/pkcs11_uri.h"

#include <ostream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::hsm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Pkcs11UriTest, FormatsTokenObjectIdAndType) {
  EXPECT_EQ(FormatPkcs11Uri("sejf", "acme-auth", std::string("\x01\xab", 2)),
            "pkcs11:token=sejf;object=acme-auth;id=%01%AB;type=private");
}

TEST(Pkcs11UriTest, PercentEncodesEverythingOutsideUnreserved) {
  EXPECT_EQ(FormatPkcs11Uri("my token", "a;b/c%d=é", "A"),
            "pkcs11:token=my%20token;object=a%3Bb%2Fc%25d%3D%C3%A9;id=%41;"
            "type=private");
}

TEST(Pkcs11UriTest, LeavesOutAnEmptyObject) {
  EXPECT_EQ(FormatPkcs11Uri("t", "", "\x07"),
            "pkcs11:token=t;id=%07;type=private");
}

TEST(Pkcs11UriTest, FormatThenParseRoundTrips) {
  const std::string id("\x00\xff\x10;%", 5);
  const std::string uri = FormatPkcs11Uri("tok;en", "label with spaces?", id);
  auto parsed = ParsePkcs11Uri(uri);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->token, "tok;en");
  EXPECT_EQ(parsed->object, "label with spaces?");
  EXPECT_EQ(parsed->id, id);
  EXPECT_EQ(parsed->type, "private");
  EXPECT_EQ(parsed->serial, std::nullopt);
}

TEST(Pkcs11UriTest, ParsesRfc7512Examples) {
  auto empty = ParsePkcs11Uri("pkcs11:");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, Pkcs11Uri{});

  auto example = ParsePkcs11Uri(
      "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;"
      "manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;"
      "type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial="
      "?pin-source=file:/etc/token_pin");
  ASSERT_TRUE(example.ok()) << example.status();
  EXPECT_EQ(example->token, "The Software PKCS#11 Softtoken");
  EXPECT_EQ(example->object, "my-certificate");
  EXPECT_EQ(example->type, "cert");
  EXPECT_EQ(example->id, std::string("\x69\x95\x3e\x5c\xf4\xbd\xec\x91"));
  EXPECT_EQ(example->serial, "");  // present but empty

  auto lower_hex = ParsePkcs11Uri("PKCS11:object=a%2fb;x-vendor=whatever");
  ASSERT_TRUE(lower_hex.ok()) << lower_hex.status();
  EXPECT_EQ(lower_hex->object, "a/b");

  auto query = ParsePkcs11Uri(
      "pkcs11:object=k?module-path=/usr/lib/softhsm/libsofthsm2.so");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->object, "k");
}

struct BadUri {
  std::string uri;
  std::string complaint;

  friend void PrintTo(const BadUri& bad, std::ostream* os) {
    *os << "\"" << bad.uri << "\"";
  }
};

class Pkcs11UriBadTest : public ::testing::TestWithParam<BadUri> {};

TEST_P(Pkcs11UriBadTest, IsInvalidArgumentSayingWhatIsWrong) {
  auto parsed = ParsePkcs11Uri(GetParam().uri);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
      << GetParam().uri;
  EXPECT_THAT(parsed.status().message(), HasSubstr(GetParam().complaint));
}

INSTANTIATE_TEST_SUITE_P(
    All, Pkcs11UriBadTest,
    ::testing::Values(
        BadUri{"", "must start with \"pkcs11:\""},
        BadUri{"pkcs11", "must start with \"pkcs11:\""},
        BadUri{"http://x", "must start with \"pkcs11:\""},
        BadUri{"pkcs11:object", "\"object\" has no '='"},
        BadUri{"pkcs11:object=a;;id=%01", "empty path attribute"},
        BadUri{"pkcs11:object=a;", "empty path attribute"},
        BadUri{"pkcs11:colour=red", "unknown path attribute \"colour\""},
        BadUri{"pkcs11:object=a;object=b", "\"object\" appears more than once"},
        BadUri{"pkcs11:id=%0", "incomplete percent escape in \"id\""},
        BadUri{"pkcs11:id=%zz", "malformed percent escape in \"id\""},
        BadUri{"pkcs11:object=a b",
               "character 0x20 in \"object\" must be percent-encoded"},
        BadUri{"pkcs11:object=a/b",
               "'/' in \"object\" must be percent-encoded"},
        BadUri{"pkcs11:type=secret", "type must be one of"},
        BadUri{"pkcs11:object=a#frag", "fragment"},
        BadUri{"pkcs11:object=a?colour=red",
               "unknown query attribute \"colour\""},
        BadUri{"pkcs11:object=a?pin-source", "\"pin-source\" has no '='"}));

TEST(Pkcs11UriTest, PinValueIsRefusedWithoutQuotingIt) {
  auto parsed = ParsePkcs11Uri("pkcs11:object=a?pin-value=s3cr3t-4711");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("pin-value"));
  EXPECT_THAT(std::string(parsed.status().message()),
              Not(HasSubstr("s3cr3t-4711")));
}

}  // namespace
}  // namespace sejf::hsm
