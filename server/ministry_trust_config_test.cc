// BuildMinistryTrust over files written here: a bad anchors file or pin is
// refused naming its configuration key.
#include "server/ministry_trust_config.h"

#include <memory>

#include "common/clock.h"
#include "common/crypto_init.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "signer/ministry/testing/ministry_test_certs.h"
#include "signer/x509/testing/openssl_cli.h"
#include "vault/storage/memory_storage.h"

namespace sejf::server {
namespace {

using ::testing::HasSubstr;

class BuildMinistryTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    auto keyring = vault::Keyring::Open(&storage_, &keys_, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
  }

  absl::Status Build(const std::string& anchors_content,
                     std::vector<std::string> pins = {}) {
    KsefConfig config;
    config.environments["prod"] = {
        .mf_trust_anchors = scratch_.Write("anchors.pem", anchors_content),
        .mf_pinned_fingerprints = std::move(pins)};
    return BuildMinistryTrust(config, keyring_.get()).status();
  }

  signer::testing::ScratchDir scratch_;
  FakeClock clock_{absl::FromUnixSeconds(1772323200)};
  vault::MemoryStorage storage_{clock_};
  hsm::testing::FakeKeyStore keys_;
  std::unique_ptr<vault::Keyring> keyring_;
};

TEST_F(BuildMinistryTrustTest, AnchorsAndPinsGiveTheEnvironmentTrust) {
  signer::testing::TestCert ca = signer::testing::MakeTestCert({.ca = true});
  KsefConfig config;
  config.environments["prod"] = {.mf_trust_anchors =
                                     scratch_.Write("ca.pem", ca.pem)};
  config.environments["demo"] = {
      .mf_pinned_fingerprints = {std::string(64, 'a')}};
  config.environments["test"] = {};
  auto trust = BuildMinistryTrust(config, keyring_.get());
  ASSERT_TRUE(trust.ok()) << trust.status();
  EXPECT_TRUE((*trust)->HasConfiguredTrust("prod"));
  EXPECT_TRUE((*trust)->HasConfiguredTrust("demo"));
  EXPECT_FALSE((*trust)->HasConfiguredTrust("test"));
}

TEST_F(BuildMinistryTrustTest, BadAnchorsFileIsRefusedNamingTheKey) {
  for (const char* content :
       {"", "not a certificate",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}) {
    absl::Status status = Build(content);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << content;
    EXPECT_THAT(status.message(),
                HasSubstr("ksef.environments.prod.mf_trust_anchors"));
  }
  KsefConfig missing;
  missing.environments["prod"] = {.mf_trust_anchors =
                                      scratch_.Path("no-such.pem")};
  absl::Status status = BuildMinistryTrust(missing, keyring_.get()).status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(),
              HasSubstr("ksef.environments.prod.mf_trust_anchors"));
}

TEST_F(BuildMinistryTrustTest, MalformedPinIsRefusedNamingTheKey) {
  KsefConfig config;
  config.environments["prod"] = {.mf_pinned_fingerprints = {"xyz"}};
  absl::Status status = BuildMinistryTrust(config, keyring_.get()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("ksef.environments.prod.mf_pinned_fingerprints[0]"));
}

}  // namespace
}  // namespace sejf::server
