#include "broker/lifecycle/credential_metrics.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/crypto_init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "signer/x509/distinguished_name.h"
#include "vault/crypto/keyring.h"
#include "vault/storage/memory_storage.h"

namespace sejf::broker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kStart = absl::FromUnixSeconds(1764000000);

class CredentialMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    auto keyring = vault::Keyring::Open(&storage_, &keys_, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    auto tokens = vault::TokenVault::Open(&storage_, keyring_.get(), &clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = *std::move(tokens);
  }

  void SelfSigned(const std::string& name, int days) {
    ASSERT_TRUE(custody_
                    .Generate(name, hsm::KeyAlgorithm::kEcP256,
                              vault::KeyUsage::kAuthentication)
                    .ok());
    auto dn = signer::DistinguishedName::Parse("CN=Acme,C=PL");
    ASSERT_TRUE(dn.ok());
    ASSERT_TRUE(custody_.SelfSign(name, *dn, days).ok());
  }

  FakeClock clock_{kStart};
  hsm::testing::FakeKeyStore keys_;
  vault::MemoryStorage storage_{clock_};
  signer::KeyCustody custody_{&keys_, &storage_, &clock_};
  std::unique_ptr<vault::Keyring> keyring_;
  std::unique_ptr<vault::TokenVault> tokens_;
};

TEST_F(CredentialMetricsTest, CountsByStateAndShowsEachExpiry) {
  SelfSigned("acme-auth", 30);
  SelfSigned("old", 10);
  ASSERT_TRUE(custody_.Destroy("old").ok());
  const absl::Time token_expiry = kStart + absl::Hours(24 * 90);
  ASSERT_TRUE(tokens_
                  ->Import({.name = "acme-token",
                            .context = "nip:5265877635",
                            .description = "ERP",
                            .expire_time = token_expiry,
                            .secret = SecretFromView("CANARY-secret-token-1")})
                  .ok());
  metrics::Registry registry;
  CredentialMetrics credentials(&custody_, tokens_.get(), &clock_, &registry);

  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("sejf_keys{state=\"active\",usage="
                              "\"authentication\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_keys{state=\"destroyed\",usage="
                              "\"authentication\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_keys{state=\"disabled\",usage="
                              "\"offline\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("sejf_tokens{state=\"active\"} 1\n"));
  auto key = custody_.Get("acme-auth");
  ASSERT_TRUE(key.ok());
  EXPECT_THAT(
      text,
      HasSubstr(absl::StrCat(
          "sejf_key_certificate_expiry_timestamp_seconds{key=\"acme-auth\"} ",
          absl::ToUnixSeconds(key->record.certificate->not_after), "\n")));
  EXPECT_THAT(text, Not(HasSubstr("key=\"old\"")));  // destroyed
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat(
                  "sejf_token_expiry_timestamp_seconds{token=\"acme-token\"} ",
                  absl::ToUnixSeconds(token_expiry), "\n")));
  EXPECT_THAT(text, HasSubstr("sejf_credential_scan_failing 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("CANARY")));
  EXPECT_THAT(text, Not(HasSubstr("5265877635")));

  // Within min_interval a scrape shows the last scan; after it, a new one.
  ASSERT_TRUE(tokens_->Destroy("acme-token").ok());
  EXPECT_THAT(registry.Render(), HasSubstr("token=\"acme-token\""));
  clock_.Advance(absl::Seconds(10));
  const std::string later = registry.Render();
  EXPECT_THAT(later, Not(HasSubstr("token=\"acme-token\"")));
  EXPECT_THAT(later, HasSubstr("sejf_tokens{state=\"destroyed\"} 1\n"));
}

TEST_F(CredentialMetricsTest,
       ARenewedKeyShowsTheExpiryOfTheVersionItSignsWith) {
  SelfSigned("acme-auth", 10);
  absl::StatusOr<int> version = custody_.ReserveVersion("acme-auth");
  ASSERT_TRUE(version.ok()) << version.status();
  ASSERT_TRUE(
      custody_
          .GenerateVersion("acme-auth", *version, hsm::KeyAlgorithm::kEcP256)
          .ok());
  auto dn = signer::DistinguishedName::Parse("CN=Acme,C=PL");
  ASSERT_TRUE(dn.ok());
  ASSERT_TRUE(
      custody_.SelfSign(absl::StrCat("acme-auth@", *version), *dn, 400).ok());
  auto newest = custody_.Get(absl::StrCat("acme-auth@", *version));
  ASSERT_TRUE(newest.ok()) << newest.status();
  metrics::Registry registry;
  CredentialMetrics credentials(&custody_, tokens_.get(), &clock_, &registry);

  EXPECT_THAT(
      registry.Render(),
      HasSubstr(absl::StrCat(
          "sejf_key_certificate_expiry_timestamp_seconds{key=\"acme-auth\"} ",
          absl::ToUnixSeconds(newest->record.certificate->not_after), "\n")));
}

}  // namespace
}  // namespace sejf::broker
