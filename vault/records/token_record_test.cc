// Token records: the secret, context, description and permission rules, and
// the JSON format.
#include "vault/records/token_record.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::vault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(TokenPermissionTest, KsefNamesRoundTrip) {
  const char* names[] = {"InvoiceRead",     "InvoiceWrite",
                         "CredentialsRead", "CredentialsManage",
                         "SubunitManage",   "EnforcementOperations",
                         "Introspection",   "CollectiveIdentifierManage"};
  for (const char* name : names) {
    auto p = TokenPermissionFromName(name);
    ASSERT_TRUE(p.has_value()) << name;
    EXPECT_EQ(TokenPermissionName(*p), name);
  }
  EXPECT_FALSE(TokenPermissionFromName("invoiceread").has_value());
  EXPECT_FALSE(TokenPermissionFromName("").has_value());
}

TEST(TokenPermissionTest, NormalizeSortsAndDropsDuplicates) {
  EXPECT_EQ(NormalizePermissions({TokenPermission::kIntrospection,
                                  TokenPermission::kInvoiceRead,
                                  TokenPermission::kIntrospection}),
            (std::vector<TokenPermission>{TokenPermission::kInvoiceRead,
                                          TokenPermission::kIntrospection}));
}

TEST(TokenSecretTest, AcceptsPrintableAsciiUpTo160) {
  EXPECT_TRUE(ValidateTokenSecret(SecretFromView("x"), "secret").ok());
  EXPECT_TRUE(
      ValidateTokenSecret(SecretFromView(std::string(160, '~')), "secret")
          .ok());
  std::string all;
  for (char c = 0x21; c <= 0x7E; ++c) all += c;
  EXPECT_TRUE(ValidateTokenSecret(SecretFromView(all), "secret").ok());
}

TEST(TokenSecretTest, RefusesBadSecretsWithoutQuotingThem) {
  const std::string canary = "CANARY7f3a";
  const std::string bad[] = {
      "",
      canary + std::string(160, 'a'),
      canary + " rest",
      canary + "\tx",
      canary + "\n",
      canary + "\r\n",
      canary + "\x01",
      canary + "\x7f",
      canary + "\xc4\x85",  // ą
  };
  for (const std::string& s : bad) {
    absl::Status status = ValidateTokenSecret(SecretFromView(s), "secret");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << s.size();
    EXPECT_THAT(status.message(), HasSubstr("secret"));
    EXPECT_THAT(status.message(), Not(HasSubstr("CANARY")));
    EXPECT_THAT(status.message(), Not(HasSubstr("rest")));
  }
  EXPECT_THAT(
      ValidateTokenSecret(SecretFromView(canary + "\n"), "secret").message(),
      HasSubstr("line end"));
  EXPECT_THAT(
      ValidateTokenSecret(SecretFromView(std::string(161, 'a')), "secret")
          .message(),
      HasSubstr("161"));
}

TEST(TokenContextTest, AcceptsNipAndInternalIdInCanonicalForm) {
  auto nip = ParseTokenContext("nip:5265877635", "context");
  ASSERT_TRUE(nip.ok()) << nip.status();
  EXPECT_EQ(nip->ToString(), "nip:5265877635");
  auto iid = ParseTokenContext("internal-id:5265877635-12345", "context");
  ASSERT_TRUE(iid.ok()) << iid.status();
  EXPECT_EQ(iid->type, KsefContextType::kInternalId);
}

TEST(TokenContextTest, RefusesOtherContextKindsAndBadNips) {
  auto peppol = ParseTokenContext("peppol-id:PPL123456", "context");
  EXPECT_EQ(peppol.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(peppol.status().message(), HasSubstr("only"));
  EXPECT_THAT(peppol.status().message(), HasSubstr("context"));
  for (const char* bad :
       {"nip:5265877634", "5265877635", "nip:", "", "internal-id:5265877635"}) {
    auto c = ParseTokenContext(bad, "context");
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(c.status().message(), HasSubstr("context")) << bad;
  }
}

TEST(TokenDescriptionTest, AcceptsOneLineOfUtf8) {
  EXPECT_TRUE(ValidateTokenDescription("", "description").ok());
  EXPECT_TRUE(
      ValidateTokenDescription("Faktury – główne konto ERP", "description")
          .ok());
  EXPECT_TRUE(
      ValidateTokenDescription(std::string(256, 'd'), "description").ok());
}

TEST(TokenDescriptionTest, RefusesLongControlAndInvalidUtf8) {
  for (const std::string& bad :
       {std::string(257, 'd'), std::string("two\nlines"),
        std::string("del\x7f"), std::string("bad \xff utf8"),
        std::string("c1 \xc2\x85"), std::string("overlong \xc0\xaf"),
        std::string("cut \xc4")}) {
    absl::Status status = ValidateTokenDescription(bad, "description");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("description"));
  }
}

TokenRecord Example() {
  return TokenRecord{
      .context = "nip:5265877635",
      .permissions = {TokenPermission::kInvoiceRead,
                      TokenPermission::kInvoiceWrite},
      .description = "ERP – główny",
      .state = CredentialState::kDisabled,
      .version = 3,
      .create_time = absl::FromUnixMicros(1764000000123456),
      .rotate_time = absl::FromUnixMicros(1765000000000001),
      .expire_time = absl::FromUnixSeconds(1800000000),
      .sealed_secret = std::string("\x01\0\0\0\x02 sealed \0 bytes", 19)};
}

TEST(TokenRecordTest, RoundTripsThroughJson) {
  TokenRecord r = Example();
  auto back = DecodeTokenRecord(EncodeTokenRecord(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
  r.expire_time.reset();
  back = DecodeTokenRecord(EncodeTokenRecord(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  EXPECT_THAT(EncodeTokenRecord(r), Not(HasSubstr("expire_time_us")));
  // Issue 14: KSeF's view, absent when unknown.
  EXPECT_THAT(EncodeTokenRecord(r), Not(HasSubstr("ksef_")));
  r.ksef_reference = "20251010-EC-1DCE3E3000-12ECB5B36E-45";
  r.ksef_environment = "test";
  r.ksef_status = "Active";
  r.ksef_status_time = absl::FromUnixSeconds(1760097600);
  back = DecodeTokenRecord(EncodeTokenRecord(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(TokenRecordTest, TheReferenceNumberIsTheTokensFirstSegment) {
  EXPECT_EQ(KsefTokenReferenceOf(SecretFromView(
                "20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-5265877635|abc")),
            "20251010-EC-1DCE3E3000-12ECB5B36E-45");
  for (const char* other : {"no-bar-at-all", "short|nip|abc",
                            "20251010-EC-1DCE3E3000-12ECB5B36E-4|x",
                            "2025101X-EC-1DCE3E3000-12ECB5B36E-45|x",
                            "20251010_EC-1DCE3E3000-12ECB5B36E-45|x"}) {
    EXPECT_EQ(KsefTokenReferenceOf(SecretFromView(other)), "") << other;
  }
}

// Found by fuzzing (fuzz/vault_records_fuzz.cc covers this decoder): a
// number too large for int64 was converted without a check (undefined
// behaviour); numbers that are not 64-bit integers are DATA_LOSS.
TEST(TokenRecordTest, NumbersThatAreNotInt64AreDataLoss) {
  const std::string good = EncodeTokenRecord(Example());
  for (const char* member :
       {"\"format\":", "\"version\":", "\"create_time_us\":",
        "\"rotate_time_us\":", "\"expire_time_us\":"}) {
    for (const char* number :
         {"1e21", "1.5", "-1e300", "9223372036854775808"}) {
      std::string bad = good;
      std::size_t at = bad.find(member);
      ASSERT_NE(at, std::string::npos) << member;
      at += std::string(member).size();
      bad.replace(at, bad.find_first_of(",}", at) - at, number);
      EXPECT_EQ(DecodeTokenRecord(bad).status().code(),
                absl::StatusCode::kDataLoss)
          << bad;
    }
  }
}

TEST(TokenRecordTest, FormatIsAsDocumented) {
  const std::string json = EncodeTokenRecord(Example());
  for (const char* member :
       {"\"format\":1", "\"context\":\"nip:5265877635\"",
        "\"permissions\":[\"InvoiceRead\",\"InvoiceWrite\"]",
        "\"state\":\"disabled\"", "\"version\":3",
        "\"create_time_us\":1764000000123456", "\"sealed\":\""}) {
    EXPECT_THAT(json, HasSubstr(member));
  }
}

TEST(TokenRecordTest, DestroyedRecordHasNoSealedMember) {
  TokenRecord r = Example();
  r.state = CredentialState::kDestroyed;
  r.sealed_secret.clear();
  EXPECT_THAT(EncodeTokenRecord(r), Not(HasSubstr("sealed")));
  auto back = DecodeTokenRecord(EncodeTokenRecord(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(TokenRecordTest, DamagedRecordsAreDataLoss) {
  TokenRecord active = Example();
  active.state = CredentialState::kActive;
  active.sealed_secret.clear();
  const std::string good = EncodeTokenRecord(Example());
  for (const std::string& bad :
       {std::string("{"), std::string("{}"), std::string("[]"),
        absl::StrReplaceAll(good, {{"\"format\":1", "\"format\":2"}}),
        absl::StrReplaceAll(good, {{"InvoiceRead", "InvoiceEat"}}),
        absl::StrReplaceAll(good, {{"disabled", "sleeping"}}),
        absl::StrReplaceAll(good, {{"\"version\":3", "\"version\":0"}}),
        absl::StrReplaceAll(good, {{"\"sealed\":\"", "\"sealed\":\"!"}}),
        EncodeTokenRecord(active)}) {
    EXPECT_EQ(DecodeTokenRecord(bad).status().code(),
              absl::StatusCode::kDataLoss)
        << bad;
  }
}

TEST(TokenRecordTest, UnknownMembersAreIgnored) {
  std::string json = EncodeTokenRecord(Example());
  json.insert(1, "\"added_later\":{\"x\":1},");
  auto back = DecodeTokenRecord(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, Example());
}

}  // namespace
}  // namespace sejf::vault
