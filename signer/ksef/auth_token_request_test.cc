#include "signer/ksef/auth_token_request.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "signer/ksef/testing/xml_testing.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::ValidateAgainstKsefSchema;

const absl::Time kNow = absl::FromCivil(
    absl::CivilSecond(2025, 5, 14, 10, 0, 0), absl::UTCTimeZone());
constexpr char kChallenge[] = "20250514-CR-226FB7B000-3ACF9BE4C0-10";

AuthTokenRequest Request() {
  AuthTokenRequest r;
  r.challenge = kChallenge;
  r.context = {KsefContextType::kNip, "5265877635"};
  return r;
}

std::string Document(const AuthTokenRequest& r) {
  std::string doc;
  AppendAuthTokenRequestContent(r, &doc);
  absl::StrAppend(&doc, kAuthTokenRequestEnd);
  return doc;
}

TEST(AuthTokenRequestTest, WritesTheMinimalDocumentByteForByte) {
  AuthTokenRequest r = Request();
  ASSERT_TRUE(ValidateAuthTokenRequest(r, kNow).ok());
  EXPECT_EQ(Document(r),
            "<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\">"
            "<Challenge>20250514-CR-226FB7B000-3ACF9BE4C0-10</Challenge>"
            "<ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier>"
            "<SubjectIdentifierType>certificateSubject</SubjectIdentifierType>"
            "</AuthTokenRequest>");
}

TEST(AuthTokenRequestTest,
     WritesAllowedIpsInSchemaOrderUnderTheChosenNamespace) {
  AuthTokenRequest r = Request();
  r.ns = AuthTokenNamespace::kV2_1;
  r.subject_type = SubjectIdentifierType::kCertificateFingerprint;
  r.allowed_ips.ip4_masks = {"10.0.0.0/8"};
  r.allowed_ips.ip4_ranges = {"1.2.3.4-1.2.3.9"};
  r.allowed_ips.ip4_addresses = {"192.168.0.1", "192.168.0.2"};
  ASSERT_TRUE(ValidateAuthTokenRequest(r, kNow).ok());
  EXPECT_EQ(Document(r),
            "<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.1\">"
            "<Challenge>20250514-CR-226FB7B000-3ACF9BE4C0-10</Challenge>"
            "<ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier>"
            "<SubjectIdentifierType>certificateFingerprint"
            "</SubjectIdentifierType><AuthorizationPolicy><AllowedIps>"
            "<Ip4Address>192.168.0.1</Ip4Address>"
            "<Ip4Address>192.168.0.2</Ip4Address>"
            "<Ip4Range>1.2.3.4-1.2.3.9</Ip4Range>"
            "<Ip4Mask>10.0.0.0/8</Ip4Mask>"
            "</AllowedIps></AuthorizationPolicy></AuthTokenRequest>");
}

TEST(AuthTokenRequestTest,
     EveryContextTypeAndNamespaceIsValidAgainstTheSchema) {
  const KsefContext contexts[] = {
      {KsefContextType::kNip, "5265877635"},
      {KsefContextType::kInternalId, "5265877635-12345"},
      {KsefContextType::kNipVatUe, "5265877635-ATU12345678"},
      {KsefContextType::kPeppolId, "PPL123456"},
  };
  for (AuthTokenNamespace ns :
       {AuthTokenNamespace::kV2_0, AuthTokenNamespace::kV2_1}) {
    for (const KsefContext& context : contexts) {
      AuthTokenRequest r = Request();
      r.ns = ns;
      r.context = context;
      ASSERT_TRUE(ValidateAuthTokenRequest(r, kNow).ok()) << context.value;
      absl::Status valid = ValidateAgainstKsefSchema(Document(r), ns);
      EXPECT_TRUE(valid.ok()) << context.value << ": " << valid;
    }
  }
}

TEST(AuthTokenRequestTest, FullAllowedIpsAreValidAgainstTheSchema) {
  AuthTokenRequest r = Request();
  for (int i = 0; i < 10; ++i) {
    const std::string n = std::to_string(i * 25);
    r.allowed_ips.ip4_addresses.push_back(absl::StrCat("10.0.", n, ".1"));
    r.allowed_ips.ip4_ranges.push_back(
        absl::StrCat("10.1.", n, ".1-10.1.", n, ".255"));
    r.allowed_ips.ip4_masks.push_back(absl::StrCat("10.2.", n, ".0/", i + 20));
  }
  for (AuthTokenNamespace ns :
       {AuthTokenNamespace::kV2_0, AuthTokenNamespace::kV2_1}) {
    r.ns = ns;
    ASSERT_TRUE(ValidateAuthTokenRequest(r, kNow).ok());
    absl::Status valid = ValidateAgainstKsefSchema(Document(r), ns);
    EXPECT_TRUE(valid.ok()) << valid;
  }
}

TEST(AuthTokenRequestTest, TheSchemaOracleRejectsWhatOurValidationRejects) {
  // The oracle can fail: an address the schema refuses.
  AuthTokenRequest r = Request();
  r.allowed_ips.ip4_addresses = {"01.2.3.4"};
  EXPECT_FALSE(ValidateAuthTokenRequest(r, kNow).ok());
  EXPECT_FALSE(
      ValidateAgainstKsefSchema(Document(r), AuthTokenNamespace::kV2_1).ok());
  r.allowed_ips = {};
  r.context.value = "5265877636";  // wrong NIP check digit: only ours refuses
  EXPECT_EQ(ValidateAuthTokenRequest(r, kNow).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AuthTokenRequestTest, RefusesMarkupInAnyField) {
  {
    AuthTokenRequest r = Request();
    r.challenge = "20250514-CR-226FB7B000-3ACF9BE</Challenge>";
    absl::Status s = ValidateAuthTokenRequest(r, kNow);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(s.message(), "challenge must match")) << s;
  }
  for (KsefContext context :
       {KsefContext{KsefContextType::kNip, "</Nip><Nip>5265877635"},
        KsefContext{KsefContextType::kInternalId, "5265877635-1234&"},
        KsefContext{KsefContextType::kNipVatUe, "5265877635-ATU1234567<"},
        KsefContext{KsefContextType::kPeppolId, "PPL12345\""}}) {
    AuthTokenRequest r = Request();
    r.context = context;
    absl::Status s = ValidateAuthTokenRequest(r, kNow);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << context.value;
    EXPECT_TRUE(absl::StartsWith(s.message(), "context")) << s;
  }
  AuthTokenRequest r = Request();
  r.allowed_ips.ip4_ranges = {"1.2.3.4-1.2.3.5<!--"};
  EXPECT_EQ(ValidateAuthTokenRequest(r, kNow).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AuthTokenRequestTest, RefusesAStaleChallenge) {
  absl::Status s =
      ValidateAuthTokenRequest(Request(), kNow + absl::Hours(24 * 3));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "stale")) << s;
}

}  // namespace
}  // namespace sejf::signer
