// MinistryTrust: the rogue self-signed certificate of issue 11 is refused
// unless the configuration or the operator vouches for it; chains are
// verified by OpenSSL against test CAs made here; pins sealed under a real
// keyring (fake HSM KEK) open only for their own certificate and
// environment.
#include "signer/ministry/ministry_trust.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/crypto_init.h"
#include "common/status_context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "signer/ministry/testing/ministry_test_certs.h"
#include "vault/storage/memory_storage.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::MakeIssuedTestCert;
using ::sejf::signer::testing::MakeTestCert;
using ::sejf::signer::testing::TestCert;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1772323200);  // 2026-03-01
const absl::Duration kDay = absl::Hours(24);

// What the store hands Admit: the parsed certificate (ParseMinistryCertificates
// fills subject and der), with its environment.
MinistryCertificate Parsed(const TestCert& cert,
                           const std::string& environment) {
  auto parsed = ParseMinistryCertificates(
      cert.der, MinistryCertificateUsage::kKsefTokenEncryption, kNow);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  MinistryCertificate c = parsed->at(0);
  c.environment = environment;
  return c;
}

// `c` as the store would read it back after an import with `grant`.
MinistryCertificate Stored(MinistryCertificate c,
                           const MinistryTrustGrant& grant) {
  c.record_name = absl::StrCat(c.environment, "/", c.Fingerprint());
  c.trusted_by = grant.trusted_by;
  c.pin_seal = grant.pin_seal;
  return c;
}

std::string ColonUpper(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (i > 0) out += ':';
    out += absl::AsciiStrToUpper(hex.substr(i, 2));
  }
  return out;
}

class MinistryTrustTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitCrypto().ok());
    root_ =
        new TestCert(MakeTestCert({.common_name = "Test Root CA", .ca = true}));
    intermediate_ = new TestCert(MakeIssuedTestCert(
        *root_, {.common_name = "Test SMIME CA", .ca = true}));
    ministry_ = new TestCert(MakeIssuedTestCert(
        *intermediate_,
        {.not_before = kNow - 30 * kDay,
         .not_after = kNow + 700 * kDay,
         .key_usage = "digitalSignature,nonRepudiation,keyEncipherment,"
                      "dataEncipherment"}));
    // The attacker: openssl req -x509 -subj "/CN=Not the Ministry".
    rogue_ = new TestCert(MakeTestCert({.not_before = kNow - kDay,
                                        .not_after = kNow + 30 * kDay,
                                        .common_name = "Not the Ministry"}));
  }
  static void TearDownTestSuite() {
    delete root_;
    delete intermediate_;
    delete ministry_;
    delete rogue_;
  }

  void SetUp() override {
    auto keyring = vault::Keyring::Open(&storage_, &keys_, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
  }

  std::unique_ptr<MinistryTrust> Trust(
      const std::map<std::string, MinistryTrustSettings>& environments = {}) {
    auto trust = MinistryTrust::Create(environments, keyring_.get());
    EXPECT_TRUE(trust.ok()) << trust.status();
    return trust.ok() ? *std::move(trust) : nullptr;
  }

  // "test" trusts the root (the intermediate comes with the anchors).
  std::unique_ptr<MinistryTrust> ChainTrust() {
    return Trust({{"test",
                   {.anchors_pem = root_->pem + intermediate_->pem,
                    .anchors_source = "mf-anchors.pem"}}});
  }

  static TestCert* root_;
  static TestCert* intermediate_;
  static TestCert* ministry_;
  static TestCert* rogue_;
  FakeClock clock_{kNow};
  vault::MemoryStorage storage_{clock_};
  hsm::testing::FakeKeyStore keys_;
  std::unique_ptr<vault::Keyring> keyring_;
};

TestCert* MinistryTrustTest::root_ = nullptr;
TestCert* MinistryTrustTest::intermediate_ = nullptr;
TestCert* MinistryTrustTest::ministry_ = nullptr;
TestCert* MinistryTrustTest::rogue_ = nullptr;

TEST_F(MinistryTrustTest, RogueIsRefusedWithoutTrustOrPinShowingFingerprint) {
  auto trust = Trust();
  MinistryCertificate rogue = Parsed(*rogue_, "test");
  auto admitted = trust->Admit("test", {rogue}, {}, kNow);
  ASSERT_EQ(admitted.status().code(), absl::StatusCode::kFailedPrecondition)
      << admitted.status();
  EXPECT_THAT(admitted.status().message(), HasSubstr(rogue.Fingerprint()));
  EXPECT_THAT(admitted.status().message(), HasSubstr("CN=Not the Ministry"));
  EXPECT_THAT(admitted.status().message(), HasSubstr("--pin-fingerprint"));
  EXPECT_FALSE(trust->HasConfiguredTrust("test"));
}

TEST_F(MinistryTrustTest, WrongPinIsRefusedShowingTheFilesFingerprint) {
  auto trust = Trust();
  MinistryCertificate rogue = Parsed(*rogue_, "test");
  std::string other = Parsed(*ministry_, "test").Fingerprint();
  auto admitted = trust->Admit("test", {rogue}, {other}, kNow);
  ASSERT_EQ(admitted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(admitted.status().message(), HasSubstr(rogue.Fingerprint()));
  EXPECT_THAT(admitted.status().message(), HasSubstr("matches none"));

  auto malformed = trust->Admit("test", {rogue}, {"abc"}, kNow);
  ASSERT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(malformed.status().message(), HasSubstr("pin_fingerprints[0]"));
  EXPECT_EQ(TaggedField(malformed.status()), "pin_fingerprints");
  std::vector<std::string> too_many(kMaxMinistryCertificatesPerImport + 1,
                                    rogue.Fingerprint());
  EXPECT_EQ(trust->Admit("test", {rogue}, too_many, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(MinistryTrustTest, OperatorPinAdmitsAndItsSealPassesAtUse) {
  auto trust = Trust();
  MinistryCertificate ministry = Parsed(*ministry_, "demo");
  // The form `openssl x509 -fingerprint -sha256` prints.
  auto admitted = trust->Admit("demo", {ministry},
                               {ColonUpper(ministry.Fingerprint())}, kNow);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  ASSERT_EQ(admitted->size(), 1u);
  EXPECT_EQ((*admitted)[0].trusted_by, kTrustedByOperatorPin);
  EXPECT_FALSE((*admitted)[0].pin_seal.empty());
  EXPECT_TRUE(trust->CheckForUse(Stored(ministry, (*admitted)[0]), kNow).ok());
}

TEST_F(MinistryTrustTest, ForgedOrCopiedPinSealFailsAtUse) {
  auto trust = Trust();
  MinistryCertificate ministry = Parsed(*ministry_, "demo");
  auto admitted =
      trust->Admit("demo", {ministry}, {ministry.Fingerprint()}, kNow);
  ASSERT_TRUE(admitted.ok()) << admitted.status();

  // No seal at all (a row written straight into the database).
  MinistryCertificate unsealed = Stored(ministry, {});
  EXPECT_EQ(trust->CheckForUse(unsealed, kNow).code(),
            absl::StatusCode::kFailedPrecondition);
  // The genuine seal copied onto a rogue certificate's row.
  MinistryCertificate rogue = Stored(Parsed(*rogue_, "demo"), (*admitted)[0]);
  absl::Status status = trust->CheckForUse(rogue, kNow);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("demo"));
  EXPECT_THAT(status.message(), HasSubstr(rogue.Fingerprint()));
  // The genuine row copied to another environment.
  MinistryCertificate moved = ministry;
  moved.environment = "prod";
  EXPECT_FALSE(trust->CheckForUse(Stored(moved, (*admitted)[0]), kNow).ok());
  // The DER swapped under the genuine record name and seal.
  MinistryCertificate swapped = Stored(ministry, (*admitted)[0]);
  swapped.der = rogue_->der;
  EXPECT_EQ(trust->CheckForUse(swapped, kNow).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(MinistryTrustTest, CertificateChainingToTheAnchorsIsAdmitted) {
  auto trust = ChainTrust();
  EXPECT_TRUE(trust->HasConfiguredTrust("test"));
  MinistryCertificate ministry = Parsed(*ministry_, "test");
  auto admitted = trust->Admit("test", {ministry}, {}, kNow);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ((*admitted)[0].trusted_by, kTrustedByAnchors);
  EXPECT_TRUE((*admitted)[0].pin_seal.empty());
  EXPECT_TRUE(trust->CheckForUse(Stored(ministry, (*admitted)[0]), kNow).ok());
}

TEST_F(MinistryTrustTest, AnIntermediateAloneIsEnoughAsAnchor) {
  auto trust = Trust({{"test", {.anchors_pem = intermediate_->pem}}});
  EXPECT_TRUE(
      trust->Admit("test", {Parsed(*ministry_, "test")}, {}, kNow).ok());
}

TEST_F(MinistryTrustTest, RogueNotChainingToTheAnchorsIsRefusedEvenIfPinned) {
  auto trust = ChainTrust();
  MinistryCertificate rogue = Parsed(*rogue_, "test");
  auto admitted = trust->Admit("test", {rogue}, {}, kNow);
  ASSERT_EQ(admitted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(admitted.status().message(),
              HasSubstr("does not chain to mf-anchors.pem"));
  // The operator's pin cannot override the configuration.
  EXPECT_FALSE(trust->Admit("test", {rogue}, {rogue.Fingerprint()}, kNow).ok());
  // Nor does a row written into the database pass at use.
  EXPECT_EQ(trust->CheckForUse(Stored(rogue, {}), kNow).code(),
            absl::StatusCode::kFailedPrecondition);
  // A certificate by another CA with the same names does not chain either.
  TestCert other_root =
      MakeTestCert({.common_name = "Test Root CA", .ca = true});
  TestCert look_alike = MakeIssuedTestCert(
      other_root, {.not_before = kNow - kDay, .not_after = kNow + kDay});
  EXPECT_EQ(trust->Admit("test", {Parsed(look_alike, "test")}, {}, kNow)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(MinistryTrustTest, ConfiguredPinAdmitsWithoutAChain) {
  MinistryCertificate rogue = Parsed(*rogue_, "test");
  auto trust =
      Trust({{"test",
              {.anchors_pem = root_->pem,
               .pinned_fingerprints = {ColonUpper(rogue.Fingerprint())}}}});
  auto admitted = trust->Admit("test", {rogue}, {}, kNow);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ((*admitted)[0].trusted_by, kTrustedByConfiguredPin);
  EXPECT_TRUE(trust->CheckForUse(Stored(rogue, (*admitted)[0]), kNow).ok());
}

TEST_F(MinistryTrustTest, ConfiguredTrustIgnoresEarlierOperatorPins) {
  MinistryCertificate rogue = Parsed(*rogue_, "test");
  auto unconfigured = Trust();
  auto admitted =
      unconfigured->Admit("test", {rogue}, {rogue.Fingerprint()}, kNow);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  auto configured = ChainTrust();
  EXPECT_EQ(configured->CheckForUse(Stored(rogue, (*admitted)[0]), kNow).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(MinistryTrustTest, ExpiredCertificatesAreRefused) {
  auto trust = ChainTrust();
  TestCert expired = MakeIssuedTestCert(
      *intermediate_,
      {.not_before = kNow - 400 * kDay, .not_after = kNow + kDay});
  MinistryCertificate c = Parsed(expired, "test");
  auto admitted = trust->Admit("test", {c}, {}, kNow);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  // A day later than its notAfter: refused at use, and at a new import.
  absl::Time later = kNow + 2 * kDay;
  absl::Status use = trust->CheckForUse(Stored(c, (*admitted)[0]), later);
  EXPECT_EQ(use.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(use.message(), HasSubstr("expired"));
  EXPECT_EQ(trust->Admit("test", {c}, {}, later).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto unconfigured = Trust();
  EXPECT_FALSE(unconfigured->Admit("demo", {c}, {c.Fingerprint()}, later).ok());
}

TEST_F(MinistryTrustTest, NotYetValidIsAdmittedButNotUsedBeforeItsTime) {
  auto trust = ChainTrust();
  TestCert future =
      MakeIssuedTestCert(*intermediate_, {.not_before = kNow + 10 * kDay,
                                          .not_after = kNow + 700 * kDay,
                                          .key_usage = "keyEncipherment"});
  MinistryCertificate c = Parsed(future, "test");
  auto admitted = trust->Admit("test", {c}, {}, kNow);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_FALSE(trust->CheckForUse(Stored(c, (*admitted)[0]), kNow).ok());
  EXPECT_TRUE(
      trust->CheckForUse(Stored(c, (*admitted)[0]), kNow + 11 * kDay).ok());
}

TEST_F(MinistryTrustTest, WronglyPurposedCertificatesAreRefused) {
  auto trust = ChainTrust();
  TestCert signing_only = MakeIssuedTestCert(
      *intermediate_, {.not_before = kNow - kDay,
                       .not_after = kNow + 300 * kDay,
                       .key_usage = "digitalSignature,nonRepudiation"});
  MinistryCertificate c = Parsed(signing_only, "test");
  auto admitted = trust->Admit("test", {c}, {}, kNow);
  ASSERT_EQ(admitted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(admitted.status().message(), HasSubstr("keyEncipherment"));
  // Pinned or not.
  EXPECT_FALSE(Trust()->Admit("demo", {c}, {c.Fingerprint()}, kNow).ok());
  EXPECT_FALSE(trust->CheckForUse(Stored(c, {}), kNow).ok());
}

TEST_F(MinistryTrustTest, BadConfigurationIsRefusedNamingItsSource) {
  auto not_pem = MinistryTrust::Create(
      {{"test",
        {.anchors_pem = "not a certificate",
         .anchors_source = "ksef.environments.test.mf_trust_anchors"}}},
      keyring_.get());
  ASSERT_EQ(not_pem.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(not_pem.status().message(),
              HasSubstr("ksef.environments.test.mf_trust_anchors"));
  auto key_block = MinistryTrust::Create(
      {{"test",
        {.anchors_pem = ministry_->key_pem, .anchors_source = "a.pem"}}},
      keyring_.get());
  ASSERT_EQ(key_block.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(key_block.status().message(), HasSubstr("CERTIFICATE"));
  auto bad_pin = MinistryTrust::Create(
      {{"prod",
        {.pins_source = "ksef.environments.prod.mf_pinned_fingerprints",
         .pinned_fingerprints = {"12:34"}}}},
      keyring_.get());
  ASSERT_EQ(bad_pin.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_pin.status().message(),
              HasSubstr("ksef.environments.prod.mf_pinned_fingerprints[0]"));
}

TEST(NormalizeSha256FingerprintTest, TakesHexInEitherCaseWithOrWithoutColons) {
  const std::string hex(64, 'a');
  EXPECT_EQ(*NormalizeSha256Fingerprint(std::string(64, 'A')), hex);
  EXPECT_EQ(*NormalizeSha256Fingerprint(ColonUpper(hex)), hex);
  EXPECT_FALSE(NormalizeSha256Fingerprint(std::string(63, 'a')).ok());
  EXPECT_FALSE(NormalizeSha256Fingerprint(std::string(64, 'g')).ok());
  EXPECT_FALSE(NormalizeSha256Fingerprint("").ok());
}

}  // namespace
}  // namespace sejf::signer
