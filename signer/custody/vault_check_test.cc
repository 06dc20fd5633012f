// signer::VaultChecker over the in-memory key store and storage: a clean
// vault is clean, and each inconsistency a crash or another tool can leave
// is reported once, with its subject, and nothing else is.
#include "signer/custody/vault_check.h"

#include <memory>
#include <string>
#include <vector>

#include "common/crypto_init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "signer/custody/key_custody.h"
#include "vault/storage/memory_storage.h"

namespace sejf::signer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class VaultCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    auto keyring = vault::Keyring::Open(&storage_, &keys_, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    auto tokens = vault::TokenVault::Open(&storage_, keyring_.get(), &clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = *std::move(tokens);
    checker_ = std::make_unique<VaultChecker>(&keys_, &storage_, keyring_.get(),
                                              tokens_.get());
    ASSERT_TRUE(custody_
                    .Generate("acme-auth", hsm::KeyAlgorithm::kEcP256,
                              vault::KeyUsage::kAuthentication)
                    .ok());
    ASSERT_TRUE(tokens_
                    ->Import({.name = "acme-token",
                              .context = "nip:5265877635",
                              .secret = SecretFromView("token-secret-0123")})
                    .ok());
  }

  VaultCheckReport Check() {
    auto report = checker_->Check();
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *std::move(report) : VaultCheckReport{};
  }

  static std::vector<VaultFindingKind> Kinds(const VaultCheckReport& report) {
    std::vector<VaultFindingKind> kinds;
    for (const VaultFinding& f : report.findings) kinds.push_back(f.kind);
    return kinds;
  }

  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  hsm::testing::FakeKeyStore keys_;
  vault::MemoryStorage storage_{clock_};
  KeyCustody custody_{&keys_, &storage_, &clock_};
  std::unique_ptr<vault::Keyring> keyring_;
  std::unique_ptr<vault::TokenVault> tokens_;
  std::unique_ptr<VaultChecker> checker_;
};

TEST_F(VaultCheckTest, AConsistentVaultIsCleanAndEverythingWasLookedAt) {
  VaultCheckReport report = Check();
  EXPECT_TRUE(report.clean());
  EXPECT_EQ(report.keys_checked, 1);
  EXPECT_EQ(report.tokens_checked, 1);
  EXPECT_EQ(report.data_keys_checked, 1);
  EXPECT_EQ(report.hsm_objects, 3);  // the pair and the KEK
}

TEST_F(VaultCheckTest, AKeyPairInOurNamespaceWithoutARecordIsAnOrphan) {
  auto orphan = keys_.GenerateKeyPairWithId(
      "sejf-key/lost", std::string(16, 'o'), hsm::KeyAlgorithm::kEcP256);
  ASSERT_TRUE(orphan.ok());
  // Another application's key in a shared token is none of our business.
  ASSERT_TRUE(
      keys_.GenerateKeyPair("erp-signing", hsm::KeyAlgorithm::kEcP256).ok());
  VaultCheckReport report = Check();
  EXPECT_THAT(Kinds(report), ElementsAre(VaultFindingKind::kOrphanKeyObject));
  EXPECT_THAT(report.findings[0].subject, HasSubstr("object=sejf-key/lost"));
  EXPECT_THAT(report.findings[0].remedy, HasSubstr("pkcs11-tool"));
}

TEST_F(VaultCheckTest, AKeyWhosePairIsGoneFromTheHsmIsMissing) {
  auto key = custody_.Get("acme-auth");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(
      keys_.Destroy(KeyCustody::KeyRefOf("acme-auth", key->record)).ok());
  VaultCheckReport report = Check();
  EXPECT_THAT(Kinds(report), ElementsAre(VaultFindingKind::kMissingKeyObject));
  EXPECT_EQ(report.findings[0].subject, "keys/acme-auth");
  EXPECT_THAT(report.findings[0].remedy, HasSubstr("sejf key destroy"));
  // Destroying it again (the repair) records it, and the check is clean.
  ASSERT_TRUE(custody_.Destroy("acme-auth").ok());
  EXPECT_TRUE(Check().clean());
}

TEST_F(VaultCheckTest, AnUnrecordedKekOfOurFamilyIsReported) {
  ASSERT_TRUE(keys_.CreateKekWithId("sejf-kek-v7", std::string(16, 'z')).ok());
  VaultCheckReport report = Check();
  EXPECT_THAT(Kinds(report), ElementsAre(VaultFindingKind::kUnrecordedKek));
}

TEST_F(VaultCheckTest, ATokenNoDataKeyOpensIsUnreadable) {
  auto stored = storage_.Get("tokens", "acme-token");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  // Another token's sealed secret moved under this name: sealed for
  // another place, so it does not open here.
  ASSERT_TRUE(tokens_
                  ->Import({.name = "other-token",
                            .context = "nip:5265877635",
                            .secret = SecretFromView("other-secret-0123")})
                  .ok());
  auto other = storage_.Get("tokens", "other-token");
  ASSERT_TRUE(other.ok() && other->has_value());
  auto txn = storage_.Begin(vault::TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(
      (*txn)
          ->Update("tokens", "acme-token", (*stored)->version, (*other)->data)
          .ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  VaultCheckReport report = Check();
  EXPECT_THAT(Kinds(report), ElementsAre(VaultFindingKind::kUnreadableToken));
  EXPECT_EQ(report.findings[0].subject, "tokens/acme-token");
  EXPECT_EQ(report.tokens_checked, 2);
}

}  // namespace
}  // namespace sejf::signer
