// ParseMinistryCertificates over certificates made with OpenSSL: the JSON
// list, PEM and DER inputs, and the refusals an administrator would meet.
#include "signer/ministry/ministry_certificate.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto_init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signer/ministry/testing/ministry_test_certs.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::JsonItem;
using ::sejf::signer::testing::JsonList;
using ::sejf::signer::testing::MakeTestCert;
using ::sejf::signer::testing::TestCert;
using ::sejf::signer::testing::TestCertOptions;
using ::sejf::signer::testing::TestKeyType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using Usage = MinistryCertificateUsage;

const absl::Time kNow = absl::FromUnixSeconds(1772323200);  // 2026-03-01

class MinistryCertificateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitCrypto().ok());
    token_cert_ = new TestCert(MakeTestCert());
    symmetric_cert_ = new TestCert(MakeTestCert());
  }
  static void TearDownTestSuite() {
    delete token_cert_;
    delete symmetric_cert_;
  }

  // The message of a refused parse (fails the test when it was accepted or
  // refused with another code).
  std::string Refusal(absl::string_view content) {
    auto parsed =
        ParseMinistryCertificates(content, Usage::kKsefTokenEncryption, kNow);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << parsed.status();
    return std::string(parsed.status().message());
  }

  static TestCert* token_cert_;
  static TestCert* symmetric_cert_;
};

TestCert* MinistryCertificateTest::token_cert_ = nullptr;
TestCert* MinistryCertificateTest::symmetric_cert_ = nullptr;

TEST_F(MinistryCertificateTest, JsonListGivesUsagesIdsAndValidity) {
  std::string list =
      JsonList({JsonItem(*token_cert_, {"KsefTokenEncryption"}),
                JsonItem(*symmetric_cert_, {"SymmetricKeyEncryption"})});
  auto parsed =
      ParseMinistryCertificates(list, Usage::kSymmetricKeyEncryption, kNow);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  const MinistryCertificate& token = (*parsed)[0];
  EXPECT_THAT(token.usages, ElementsAre(Usage::kKsefTokenEncryption))
      << "the JSON's usage wins over the PEM/DER default";
  EXPECT_THAT((*parsed)[1].usages, ElementsAre(Usage::kSymmetricKeyEncryption));
  EXPECT_EQ(token.der, token_cert_->der);
  EXPECT_EQ(token.certificate_id, Sha256Base64(token_cert_->der));
  EXPECT_EQ(token.public_key_id, Sha256Base64(token_cert_->spki_der));
  EXPECT_EQ(token.public_key_id.size(), 44u);
  EXPECT_EQ(token.spki_sha256, token.public_key_id);
  EXPECT_EQ(token.valid_from, absl::FromUnixSeconds(1759125799));
  EXPECT_EQ(token.valid_to, absl::FromUnixSeconds(1822197798));
  EXPECT_THAT(token.subject, HasSubstr("CN=Ministerstwo Finansów"));
  EXPECT_EQ(token.source, MinistryCertificateSource::kJson);
  EXPECT_TRUE(token.ValidAt(kNow));
}

TEST_F(MinistryCertificateTest, JsonIdsAreKseFsEvenWhenTheyDifferFromOurs) {
  // §4.3: the docs' example ids do not reproduce; the live list is what
  // KSeF selects keys by, so its ids are kept (ours is recorded beside).
  std::string other_id = Sha256Base64("another key");
  std::string item = JsonItem(*token_cert_, {"KsefTokenEncryption"});
  std::string ours = Sha256Base64(token_cert_->spki_der);
  item.replace(item.find(ours), ours.size(), other_id);
  auto parsed = ParseMinistryCertificates(JsonList({item}),
                                          Usage::kKsefTokenEncryption, kNow);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].public_key_id, other_id);
  EXPECT_EQ((*parsed)[0].spki_sha256, ours);
}

TEST_F(MinistryCertificateTest, JsonValidityNarrowerThanTheCertificateWins) {
  std::string item = JsonItem(*token_cert_, {"KsefTokenEncryption"});
  std::string from = "2025-09-29T06:03:19.0000000+00:00";
  ASSERT_NE(item.find(from), std::string::npos) << item;
  item.replace(item.find(from), from.size(), "2026-01-01T00:00:00Z");
  auto parsed = ParseMinistryCertificates(JsonList({item}),
                                          Usage::kKsefTokenEncryption, kNow);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].valid_from, absl::FromUnixSeconds(1767225600));
}

TEST_F(MinistryCertificateTest, PemGivesEachBlockWithTheCallersUsage) {
  std::string pem = absl::StrCat("Ministry certificates\n", token_cert_->pem,
                                 symmetric_cert_->pem);
  auto parsed =
      ParseMinistryCertificates(pem, Usage::kSymmetricKeyEncryption, kNow);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].der, token_cert_->der);
  EXPECT_EQ((*parsed)[1].der, symmetric_cert_->der);
  EXPECT_THAT((*parsed)[1].usages, ElementsAre(Usage::kSymmetricKeyEncryption));
  EXPECT_EQ((*parsed)[0].source, MinistryCertificateSource::kPem);
  EXPECT_EQ((*parsed)[0].certificate_id, Sha256Base64(token_cert_->der));
  EXPECT_EQ((*parsed)[0].public_key_id, Sha256Base64(token_cert_->spki_der));
}

TEST_F(MinistryCertificateTest, DerGivesOneCertificate) {
  auto parsed = ParseMinistryCertificates(token_cert_->der,
                                          Usage::kKsefTokenEncryption, kNow);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].source, MinistryCertificateSource::kDer);
  EXPECT_THAT((*parsed)[0].usages, ElementsAre(Usage::kKsefTokenEncryption));
  EXPECT_EQ((*parsed)[0].serial_hex.size() % 2, 0u);
}

TEST_F(MinistryCertificateTest, WeakRsaIsRefusedNamingTheItemAndSize) {
  TestCert weak = MakeTestCert({.key = TestKeyType::kRsa1024});
  std::string message =
      Refusal(JsonList({JsonItem(*token_cert_, {"KsefTokenEncryption"}),
                        JsonItem(weak, {"KsefTokenEncryption"})}));
  EXPECT_THAT(message, HasSubstr("item [1]"));
  EXPECT_THAT(message, HasSubstr("RSA-1024"));
  EXPECT_THAT(Refusal(weak.pem), HasSubstr("RSA-1024"));
  EXPECT_THAT(Refusal(weak.der), HasSubstr("RSA-1024"));
}

TEST_F(MinistryCertificateTest, EcKeyIsRefused) {
  TestCert ec = MakeTestCert({.key = TestKeyType::kEcP256});
  EXPECT_THAT(Refusal(ec.der), HasSubstr("must carry an RSA key"));
}

TEST_F(MinistryCertificateTest, ExpiredCertificateIsRefusedWithItsDate) {
  TestCert old = MakeTestCert({.not_before = absl::FromUnixSeconds(1600000000),
                               .not_after = absl::FromUnixSeconds(1700000000)});
  std::string message =
      Refusal(JsonList({JsonItem(old, {"KsefTokenEncryption"})}));
  EXPECT_THAT(message, HasSubstr("item [0]"));
  EXPECT_THAT(message, HasSubstr("expired on 2023-11-14"));
  EXPECT_THAT(Refusal(old.pem), HasSubstr("expired"));
}

TEST_F(MinistryCertificateTest, NotYetValidCertificateIsAccepted) {
  TestCert future = MakeTestCert({.not_before = kNow + absl::Hours(24 * 30),
                                  .not_after = kNow + absl::Hours(24 * 700)});
  auto parsed =
      ParseMinistryCertificates(future.der, Usage::kKsefTokenEncryption, kNow);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE((*parsed)[0].ValidAt(kNow));
}

TEST_F(MinistryCertificateTest, GarbageIsRefusedSayingWhatIsWrong) {
  EXPECT_THAT(Refusal("[{\"certificate\": "), HasSubstr("not valid JSON"));
  EXPECT_THAT(Refusal("{\"certificate\":\"AA==\"}"),
              HasSubstr("must be the JSON array"));
  EXPECT_THAT(Refusal("not a certificate at all"),
              HasSubstr("not an X.509 certificate"));
  EXPECT_THAT(Refusal(""), HasSubstr("empty"));
  EXPECT_THAT(Refusal("[]"), HasSubstr("no certificates"));
  // A real private key (made at test time) pasted by mistake is refused,
  // and the refusal does not quote it.
  const std::string private_key = Refusal(token_cert_->key_pem);
  EXPECT_THAT(private_key, HasSubstr("\"PRIVATE KEY\" block"));
  EXPECT_THAT(private_key, Not(HasSubstr(token_cert_->key_pem.substr(28, 40))));
  std::string truncated = token_cert_->der.substr(0, 100);
  EXPECT_THAT(Refusal(truncated), HasSubstr("not an X.509 certificate"));
}

TEST_F(MinistryCertificateTest, UnknownUsageIsRefusedNamingItAndTheItem) {
  std::string message = Refusal(JsonList(
      {JsonItem(*token_cert_, {"KsefTokenEncryption"}),
       JsonItem(*symmetric_cert_, {"SymmetricKeyEncryption", "Signing"})}));
  EXPECT_THAT(message, HasSubstr("item [1]"));
  EXPECT_THAT(message, HasSubstr("unknown usage \"Signing\""));
  EXPECT_THAT(Refusal(JsonList({JsonItem(*token_cert_, {})})),
              HasSubstr("\"usage\" must be a non-empty array"));
}

TEST_F(MinistryCertificateTest, BrokenMembersAreNamed) {
  std::string item = JsonItem(*token_cert_, {"KsefTokenEncryption"});
  std::string no_id = item;
  no_id.replace(no_id.find("\"certificateId\""), 15, "\"certificateID\"");
  EXPECT_THAT(Refusal(JsonList({no_id})),
              HasSubstr("member \"certificateId\" is missing"));
  std::string bad_b64 = item;
  bad_b64.replace(bad_b64.find("\"certificate\":\"") + 15, 4, "!!!!");
  EXPECT_THAT(Refusal(JsonList({bad_b64})),
              HasSubstr("\"certificate\" is not standard Base64"));
  std::string bad_date = item;
  bad_date.replace(bad_date.find("2027-09-29T"), 10, "29.09.2027");
  EXPECT_THAT(Refusal(JsonList({bad_date})),
              HasSubstr("\"validTo\" is not an RFC 3339"));
  EXPECT_THAT(Refusal("[42]"), HasSubstr("item [0]: must be a JSON object"));
}

TEST_F(MinistryCertificateTest, SameCertificateTwiceIsRefused) {
  std::string item = JsonItem(*token_cert_, {"KsefTokenEncryption"});
  EXPECT_THAT(Refusal(JsonList({item, item})),
              HasSubstr("item [1]: it repeats certificate list item [0]"));
}

TEST(MinistryCertificateUsageTest, NamesRoundTrip) {
  for (Usage u :
       {Usage::kKsefTokenEncryption, Usage::kSymmetricKeyEncryption}) {
    EXPECT_EQ(MinistryCertificateUsageFromName(MinistryCertificateUsageName(u)),
              u);
  }
  EXPECT_FALSE(MinistryCertificateUsageFromName("ksefTokenEncryption"));
}

}  // namespace
}  // namespace sejf::signer
