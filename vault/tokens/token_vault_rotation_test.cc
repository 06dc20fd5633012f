// TokenVault key rotation: data-key rotation with background re-sealing
// (stepped by hand and run by the vault's thread), resumption after a
// restart, and KEK rotation on a throwaway SoftHSM2 token with SQLite.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/crypto_init.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/key_store_test_env.h"
#include "hsm/testing/softhsm_testing.h"
#include "nlohmann/json.hpp"
#include "vault/crypto/sealed_record.h"
#include "vault/storage/memory_storage.h"
#include "vault/storage/sqlite/sqlite_storage.h"
#include "vault/tokens/token_vault.h"

namespace sejf::vault {
namespace {

std::string SecretFor(int i) { return absl::StrCat("secret-", i, "-!~"); }
std::string NameFor(int i) { return absl::StrCat("token-", 100 + i); }

TokenImport Request(int i) {
  return TokenImport{.name = NameFor(i),
                     .context = "nip:5265877635",
                     .secret = SecretFromView(SecretFor(i))};
}

class DataKeyRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    auto keyring = Keyring::Open(&storage_, &keys_, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
  }

  void OpenVault(bool background) {
    vault_.reset();
    auto vault = TokenVault::Open(
        &storage_, keyring_.get(), &clock_,
        {.reseal_batch_size = 10, .background_reseal = background});
    ASSERT_TRUE(vault.ok()) << vault.status();
    vault_ = *std::move(vault);
  }

  void ImportTokens(int n) {
    for (int i = 0; i < n; ++i) {
      auto token = vault_->Import(Request(i));
      ASSERT_TRUE(token.ok()) << token.status();
    }
  }

  // Every token opens to its own secret.
  void ExpectAllOpen(int n) {
    for (int i = 0; i < n; ++i) {
      auto usable = vault_->OpenForUse(NameFor(i));
      ASSERT_TRUE(usable.ok()) << NameFor(i) << ": " << usable.status();
      EXPECT_EQ(SecretView(usable->secret), SecretFor(i));
    }
  }

  // How many stored token records are sealed under each data key: read
  // from the records themselves, not from the vault's counters.
  std::map<std::uint32_t, int> SealedByDek() {
    std::map<std::uint32_t, int> out;
    auto page = storage_.List(kTokenRecordKind, {.limit = 1000});
    EXPECT_TRUE(page.ok());
    for (const Record& r : page->records) {
      auto j = nlohmann::json::parse(r.data);
      if (!j.contains("sealed")) continue;
      std::string sealed;
      EXPECT_TRUE(
          absl::Base64Unescape(j["sealed"].get<std::string>(), &sealed));
      ++out[*SealedDataKeyId(sealed)];
    }
    return out;
  }

  VaultStatus StatusOrDie() {
    auto status = vault_->Status();
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? *status : VaultStatus{};
  }

  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  hsm::testing::FakeKeyStore keys_;
  MemoryStorage storage_{clock_};
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<TokenVault> vault_;
};

TEST_F(DataKeyRotationTest, ReSealsEveryRecordWhileOldOnesStillOpen) {
  OpenVault(/*background=*/false);
  ImportTokens(25);
  ASSERT_TRUE(vault_->Destroy(NameFor(3)).ok());  // nothing to re-seal there
  EXPECT_EQ(SealedByDek(), (std::map<std::uint32_t, int>{{1, 24}}));

  auto id = vault_->RotateDataKey();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 2u);
  VaultStatus status = StatusOrDie();
  EXPECT_EQ(status.current_data_key_id, 2);
  EXPECT_EQ(status.data_key_count, 2);
  EXPECT_EQ(status.token_count, 24);
  EXPECT_EQ(status.records_pending_reseal, 24);

  // New writes use the new key at once.
  auto fresh = vault_->Import(Request(25));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(SealedByDek(), (std::map<std::uint32_t, int>{{1, 24}, {2, 1}}));

  std::int64_t pending = 24;
  int steps = 0;
  for (;;) {
    auto more = vault_->ResealStep();
    ASSERT_TRUE(more.ok()) << more.status();
    ++steps;
    const std::int64_t now_pending = StatusOrDie().records_pending_reseal;
    EXPECT_LE(now_pending, pending);
    EXPECT_EQ(SealedByDek()[1], now_pending);  // counters match the records
    pending = now_pending;
    // Mid-way, old and new seals both open.
    for (int i = 0; i <= 25; ++i) {
      if (i == 3) continue;
      auto usable = vault_->OpenForUse(NameFor(i));
      ASSERT_TRUE(usable.ok()) << usable.status();
      EXPECT_EQ(SecretView(usable->secret), SecretFor(i));
    }
    if (!*more) break;
    ASSERT_LT(steps, 20);
  }
  EXPECT_EQ(pending, 0);
  EXPECT_EQ(SealedByDek(), (std::map<std::uint32_t, int>{{2, 25}}));
  EXPECT_EQ(StatusOrDie().token_count, 25);
  // Versions (the user-visible ones) are unchanged by re-sealing.
  EXPECT_EQ(vault_->Get(NameFor(0))->record.version, 1);
}

TEST_F(DataKeyRotationTest, TheVaultsThreadReSealsInTheBackground) {
  OpenVault(/*background=*/true);
  ImportTokens(35);
  ASSERT_TRUE(vault_->Rotate(NameFor(7), SecretFromView(SecretFor(7))).ok());
  ASSERT_TRUE(vault_->RotateDataKey().ok());
  vault_->WaitForReseal();
  VaultStatus status = StatusOrDie();
  EXPECT_EQ(status.records_pending_reseal, 0);
  EXPECT_FALSE(status.reseal_running);
  EXPECT_EQ(status.reseal_error, "");
  EXPECT_EQ(SealedByDek(), (std::map<std::uint32_t, int>{{2, 35}}));
  ExpectAllOpen(35);
  // A second rotation, straight after.
  ASSERT_TRUE(vault_->RotateDataKey().ok());
  vault_->WaitForReseal();
  EXPECT_EQ(SealedByDek(), (std::map<std::uint32_t, int>{{3, 35}}));
  ExpectAllOpen(35);
}

TEST_F(DataKeyRotationTest, AnInterruptedReSealResumesAfterRestart) {
  OpenVault(/*background=*/false);
  ImportTokens(30);
  ASSERT_TRUE(vault_->RotateDataKey().ok());
  ASSERT_TRUE(vault_->ResealStep().ok());
  EXPECT_EQ(StatusOrDie().records_pending_reseal, 20);
  // "Restart": a new keyring and vault on the same storage.
  vault_.reset();
  auto keyring = Keyring::Open(&storage_, &keys_, &clock_);
  ASSERT_TRUE(keyring.ok());
  keyring_ = *std::move(keyring);
  OpenVault(/*background=*/true);
  vault_->WaitForReseal();
  EXPECT_EQ(StatusOrDie().records_pending_reseal, 0);
  EXPECT_EQ(SealedByDek(), (std::map<std::uint32_t, int>{{2, 30}}));
  ExpectAllOpen(30);
}

TEST_F(DataKeyRotationTest, StatusStartsFromCountersNotAScan) {
  OpenVault(/*background=*/false);
  ImportTokens(5);
  // Corrupt one token record: a scan at start would trip over it; the
  // vault opens anyway and reports the counts it keeps.
  auto txn = storage_.Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Update(kTokenRecordKind, NameFor(2), 1, "{garbage").ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  txn->reset();
  OpenVault(/*background=*/false);
  EXPECT_EQ(StatusOrDie().token_count, 5);
  EXPECT_EQ(vault_->Get(NameFor(2)).status().code(),
            absl::StatusCode::kDataLoss);
}

// KEK rotation with the real HSM path: a throwaway SoftHSM2 token, SQLite.
TEST(KekRotationTest, EveryTokenStaysReadableAcrossKekRotationAndRestart) {
  ASSERT_TRUE(InitCrypto().ok());
  auto env = hsm::testing::MakePkcs11TestEnv();
  ASSERT_TRUE(env.ok()) << env.status();
  hsm::KeyStore& keys = (*env)->store();
  hsm::testing::TempDir dir;
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  const std::string db = dir.path() + "/sejf.db";
  std::string old_uri;
  {
    auto storage = SqliteStorage::Open(db, clock);
    ASSERT_TRUE(storage.ok()) << storage.status();
    auto keyring = Keyring::Open(storage->get(), &keys, &clock);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    auto vault = TokenVault::Open(storage->get(), keyring->get(), &clock);
    ASSERT_TRUE(vault.ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*vault)->Import(Request(i)).ok());
    ASSERT_TRUE((*vault)->RotateDataKey().ok());
    (*vault)->WaitForReseal();
    ASSERT_TRUE((*vault)->Import(Request(5)).ok());
    old_uri = (*vault)->Status()->kek_uri;
    EXPECT_TRUE(absl::StrContains(old_uri, "object=sejf-kek-v1"));
    auto uri = (*vault)->RotateKeyEncryptionKey();
    ASSERT_TRUE(uri.ok()) << uri.status();
    EXPECT_TRUE(absl::StrContains(*uri, "object=sejf-kek-v2"));
    EXPECT_EQ((*vault)->Status()->kek_uri, *uri);
    for (int i = 0; i < 6; ++i) {
      auto usable = (*vault)->OpenForUse(NameFor(i));
      ASSERT_TRUE(usable.ok()) << usable.status();
      EXPECT_EQ(SecretView(usable->secret), SecretFor(i));
    }
  }
  // Restart: the keyring now unwraps with the new KEK only.
  auto storage = SqliteStorage::Open(db, clock);
  ASSERT_TRUE(storage.ok());
  auto keyring = Keyring::Open(storage->get(), &keys, &clock);
  ASSERT_TRUE(keyring.ok()) << keyring.status();
  auto vault = TokenVault::Open(storage->get(), keyring->get(), &clock);
  ASSERT_TRUE(vault.ok());
  VaultStatus status = *(*vault)->Status();
  EXPECT_NE(status.kek_uri, old_uri);
  EXPECT_EQ(status.token_count, 6);
  EXPECT_EQ(status.data_key_count, 2);
  for (int i = 0; i < 6; ++i) {
    auto usable = (*vault)->OpenForUse(NameFor(i));
    ASSERT_TRUE(usable.ok()) << usable.status();
    EXPECT_EQ(SecretView(usable->secret), SecretFor(i));
  }
}

}  // namespace
}  // namespace sejf::vault
