// Key versions (key_versions.h) in KeyCustody over the in-memory key store
// and storage: names, the newest usable version signs, the credential's
// kill switch covers every version, List shows credentials only.
#include "signer/custody/key_versions.h"

#include <string>
#include <vector>

#include "common/crypto_init.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "signer/custody/key_custody.h"
#include "vault/storage/memory_storage.h"

namespace sejf::signer {
namespace {

using vault::CredentialState;
using vault::KeyUsage;

TEST(KeyVersionNameTest, NamesAndParses) {
  EXPECT_EQ(KeyVersionName("acme", 1), "acme");
  EXPECT_EQ(KeyVersionName("acme", 12), "acme@12");
  std::optional<KeyVersionRef> ref = ParseKeyVersionName("acme@12");
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->base, "acme");
  EXPECT_EQ(ref->version, 12);
  EXPECT_EQ(ParseKeyVersionName("acme")->version, 1);
  for (const char* bad : {"acme@", "acme@1", "acme@02", "acme@x", "acme@2@3",
                          "Acme@2", "@2", "acme@10000"}) {
    EXPECT_FALSE(ParseKeyVersionName(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ValidateKeyName("acme@2", "key name").ok());
  EXPECT_FALSE(ValidateKeyName("acme@1", "key name").ok());
}

class KeyVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    ASSERT_TRUE(custody_
                    .Generate("auth", hsm::KeyAlgorithm::kEcP256,
                              KeyUsage::kAuthentication)
                    .ok());
    ASSERT_TRUE(custody_.SelfSign("auth", Subject(), 10).ok());
  }

  static DistinguishedName Subject() {
    return *DistinguishedName::Parse("CN=Acme,C=PL");
  }

  // Version `v` reserved, generated and self-signed for `days`.
  void MakeVersion(int days) {
    absl::StatusOr<int> v = custody_.ReserveVersion("auth");
    ASSERT_TRUE(v.ok()) << v.status();
    ASSERT_TRUE(
        custody_.GenerateVersion("auth", *v, hsm::KeyAlgorithm::kEcP256).ok());
    ASSERT_TRUE(
        custody_.SelfSign(KeyVersionName("auth", *v), Subject(), days).ok());
  }

  std::string Signing() {
    absl::StatusOr<UsableKey> k =
        custody_.UsableFor("auth", KeyUsage::kAuthentication);
    return k.ok() ? k->key().name : std::string(k.status().message());
  }

  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  hsm::testing::FakeKeyStore keys_;
  vault::MemoryStorage storage_{clock_};
  KeyCustody custody_{&keys_, &storage_, &clock_};
};

TEST_F(KeyVersionsTest, TheNewestUsableVersionSigns) {
  EXPECT_EQ(Signing(), "auth");
  // A reserved version without a certificate yet: the old one signs on.
  absl::StatusOr<int> v2 = custody_.ReserveVersion("auth");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v2, 2);
  ASSERT_TRUE(
      custody_.GenerateVersion("auth", 2, hsm::KeyAlgorithm::kEcP256).ok());
  EXPECT_EQ(Signing(), "auth");
  EXPECT_EQ(custody_.Current("auth")->name, "auth");
  ASSERT_TRUE(custody_.SelfSign("auth@2", Subject(), 30).ok());
  EXPECT_EQ(Signing(), "auth@2");
  EXPECT_EQ(custody_.Current("auth")->name, "auth@2");
  // Version 2 disabled alone: version 1 signs again; version 1 untouched.
  ASSERT_TRUE(custody_.DisableVersion("auth", 2).ok());
  EXPECT_EQ(Signing(), "auth");
  ASSERT_TRUE(custody_.Enable("auth").ok());
  EXPECT_EQ(Signing(), "auth@2");

  // Every certificate expired: the newest certified version's error.
  clock_.Advance(absl::Hours(24 * 31));
  EXPECT_NE(Signing().find("certificate of key auth@2 expired"),
            std::string::npos)
      << Signing();
}

TEST_F(KeyVersionsTest, ListShowsCredentialsAndVersionsListsVersions) {
  ASSERT_NO_FATAL_FAILURE(MakeVersion(30));
  ASSERT_NO_FATAL_FAILURE(MakeVersion(30));
  absl::StatusOr<KeyPage> page = custody_.List({}, 0, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->keys.size(), 1u);
  EXPECT_EQ(page->keys[0].name, "auth");
  EXPECT_EQ(page->keys[0].record.latest_version, 3);
  absl::StatusOr<std::vector<Key>> all = custody_.Versions("auth");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "auth");
  EXPECT_EQ((*all)[1].name, "auth@2");
  EXPECT_EQ((*all)[2].name, "auth@3");
  EXPECT_EQ(Signing(), "auth@3");
  // Versions are addressed through their key: not as keys of their own.
  EXPECT_EQ(custody_.ReserveVersion("auth@2").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(custody_.GenerateVersion("auth", 9, hsm::KeyAlgorithm::kEcP256)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(custody_
                .Generate("auth@4", hsm::KeyAlgorithm::kEcP256,
                          KeyUsage::kAuthentication)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(KeyVersionsTest, ExpiringFilterJudgesTheVersionThatSigns) {
  // "auth": version 1 ends in 10 days, version 2 (which signs) in 100.
  ASSERT_NO_FATAL_FAILURE(MakeVersion(100));
  // "other": the reverse — version 1 ends in 100 days, version 2 in 10.
  ASSERT_TRUE(custody_
                  .Generate("other", hsm::KeyAlgorithm::kEcP256,
                            KeyUsage::kAuthentication)
                  .ok());
  ASSERT_TRUE(custody_.SelfSign("other", Subject(), 100).ok());
  absl::StatusOr<int> v = custody_.ReserveVersion("other");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(
      custody_.GenerateVersion("other", *v, hsm::KeyAlgorithm::kEcP256).ok());
  ASSERT_TRUE(
      custody_.SelfSign(KeyVersionName("other", *v), Subject(), 10).ok());
  ASSERT_EQ(custody_.Current("auth")->name, "auth@2");
  ASSERT_EQ(custody_.Current("other")->name, "other@2");

  KeyFilter within_30_days;
  within_30_days.expiring_within = absl::Hours(24 * 30);
  absl::StatusOr<KeyPage> page = custody_.List(within_30_days, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  std::vector<std::string> names;
  for (const Key& key : page->keys) names.push_back(key.name);
  EXPECT_EQ(names, std::vector<std::string>{"other"});

  // Within 200 days both are; within 5 neither.
  KeyFilter within_200_days;
  within_200_days.expiring_within = absl::Hours(24 * 200);
  EXPECT_EQ(custody_.List(within_200_days, 0, "")->keys.size(), 2u);
  KeyFilter within_5_days;
  within_5_days.expiring_within = absl::Hours(24 * 5);
  EXPECT_TRUE(custody_.List(within_5_days, 0, "")->keys.empty());
}

TEST_F(KeyVersionsTest, DisableAndDestroyOfTheKeyCoverEveryVersion) {
  ASSERT_NO_FATAL_FAILURE(MakeVersion(30));
  ASSERT_TRUE(custody_.Disable("auth").ok());
  EXPECT_EQ(custody_.Get("auth@2")->record.state, CredentialState::kDisabled);
  EXPECT_NE(Signing().find("disabled"), std::string::npos) << Signing();
  ASSERT_TRUE(custody_.Enable("auth").ok());
  EXPECT_EQ(Signing(), "auth@2");
  ASSERT_TRUE(custody_.Destroy("auth").ok());
  EXPECT_EQ(custody_.Get("auth")->record.state, CredentialState::kDestroyed);
  EXPECT_EQ(custody_.Get("auth@2")->record.state, CredentialState::kDestroyed);
  EXPECT_EQ(custody_.ReserveVersion("auth").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sejf::signer
