// Keyring over SQLite in a temporary directory, against a throwaway SoftHSM2
// token and the in-memory fake key store: creation on first start, restart,
// DEK rotation, KEK rotation, several processes sharing one storage, and
// damaged records.
#include "vault/crypto/keyring.h"

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/crypto_init.h"
#include "gtest/gtest.h"
#include "hsm/pkcs11_uri.h"
#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/faulty_key_store.h"
#include "hsm/testing/key_store_test_env.h"
#include "hsm/testing/softhsm_testing.h"
#include "nlohmann/json.hpp"
#include "vault/crypto/sealed_record.h"
#include "vault/crypto/xchacha20_poly1305_aead.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::vault {
namespace {

using hsm::testing::KeyStoreTestEnv;

struct Implementation {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<KeyStoreTestEnv>>()> make;
  friend void PrintTo(const Implementation& impl, std::ostream* os) {
    *os << impl.name;
  }
};

constexpr SealedPlace kPlace{.kind = "tokens", .id = "acme", .version = 1};

class KeyringTest : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    ASSERT_FALSE(dir_.path().empty());
    auto env = GetParam().make();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    OpenStorage();
  }

  void OpenStorage() {
    auto storage = SqliteStorage::Open(dir_.path() + "/sejf.db", clock_);
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
  }

  // Closes and reopens the database (a restart of sejfd; the HSM stays).
  void Restart() {
    storage_.reset();
    OpenStorage();
  }

  std::unique_ptr<Keyring> OpenKeyring() {
    auto keyring = Keyring::Open(storage_.get(), &env_->store(), &clock_);
    EXPECT_TRUE(keyring.ok()) << keyring.status();
    return keyring.ok() ? *std::move(keyring) : nullptr;
  }

  nlohmann::json StoredRecord() {
    auto record = storage_->Get(kKeyringKind, kKeyringRecordName);
    EXPECT_TRUE(record.ok() && record->has_value());
    return nlohmann::json::parse((*record)->data);
  }

  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  hsm::testing::TempDir dir_;
  std::unique_ptr<KeyStoreTestEnv> env_;
  std::unique_ptr<SqliteStorage> storage_;
};

TEST_P(KeyringTest, FirstOpenCreatesDataKeyOneWrappedByTheDefaultKek) {
  auto keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  KeyringInfo info = keyring->Info();
  EXPECT_EQ(info.current_id, 1u);
  EXPECT_EQ(info.key_count, 1);
  EXPECT_EQ(info.kek_label, env_->store().DefaultKekLabel());
  EXPECT_EQ(info.kek_uri, env_->store().KekUri(info.kek_label));
  EXPECT_TRUE(absl::StrContains(info.kek_uri, "type=secret-key"));
  nlohmann::json j = StoredRecord();
  EXPECT_EQ(j["current"], 1);
  ASSERT_EQ(j["keys"].size(), 1u);
  std::string wrapped;
  ASSERT_TRUE(absl::Base64Unescape(j["keys"][0]["wrapped"].get<std::string>(),
                                   &wrapped));
  EXPECT_EQ(wrapped.size(), hsm::kWrappedDataKeySize);
  // The wrapped key really is the DEK: unwrapped by the HSM, it opens what
  // the keyring sealed.
  auto dek = env_->store().UnwrapKey(wrapped);
  ASSERT_TRUE(dek.ok()) << dek.status();
  auto sealed = Seal(*keyring, "secret", kPlace);
  ASSERT_TRUE(sealed.ok());
  auto aead = XChaCha20Poly1305Aead::New(*dek);
  ASSERT_TRUE(aead.ok());
  auto plain =
      (*aead)->Decrypt(sealed->substr(5), SealedAssociatedData(1, kPlace));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(SecretView(*plain), "secret");
}

TEST_P(KeyringTest, SurvivesRestart) {
  std::string sealed;
  {
    auto keyring = OpenKeyring();
    ASSERT_NE(keyring, nullptr);
    auto s = Seal(*keyring, "survives", kPlace);
    ASSERT_TRUE(s.ok());
    sealed = *s;
  }
  Restart();
  auto keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  EXPECT_EQ(keyring->Info().key_count, 1);  // not a second key
  auto secret = Open(*keyring, sealed, kPlace);
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(SecretView(*secret), "survives");
}

TEST_P(KeyringTest, RotateMakesANewCurrentKeyAndKeepsOldOnes) {
  auto keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  auto old_sealed = Seal(*keyring, "old", kPlace);
  ASSERT_TRUE(old_sealed.ok());
  auto id = keyring->Rotate();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 2u);
  EXPECT_EQ(keyring->Info().current_id, 2u);
  auto new_sealed = Seal(*keyring, "new", kPlace);
  ASSERT_TRUE(new_sealed.ok());
  EXPECT_EQ(*SealedDataKeyId(*new_sealed), 2u);
  EXPECT_TRUE(Open(*keyring, *old_sealed, kPlace).ok());
  Restart();
  keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  EXPECT_EQ(keyring->Info().current_id, 2u);
  EXPECT_EQ(keyring->Info().key_count, 2);
  EXPECT_EQ(SecretView(*Open(*keyring, *old_sealed, kPlace)), "old");
  EXPECT_EQ(SecretView(*Open(*keyring, *new_sealed, kPlace)), "new");
}

TEST_P(KeyringTest, RotateKekRewrapsEveryKeyAndKeepsEverythingReadable) {
  auto keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  auto first = Seal(*keyring, "first", kPlace);
  ASSERT_TRUE(keyring->Rotate().ok());
  auto second = Seal(*keyring, "second", kPlace);
  ASSERT_TRUE(first.ok() && second.ok());
  const nlohmann::json before = StoredRecord();
  const std::string old_label = keyring->Info().kek_label;

  auto uri = keyring->RotateKek();
  ASSERT_TRUE(uri.ok()) << uri.status();
  const std::string new_label = keyring->Info().kek_label;
  EXPECT_EQ(old_label, "sejf-kek-v1");
  EXPECT_EQ(new_label, "sejf-kek-v2");
  EXPECT_EQ(*uri, env_->store().KekUri("sejf-kek-v2"));
  EXPECT_TRUE(absl::StrContains(*uri, "object=sejf-kek-v2"));
  const nlohmann::json after = StoredRecord();
  EXPECT_EQ(after["kek_label"], "sejf-kek-v2");
  ASSERT_EQ(after["keys"].size(), 2u);
  for (int i = 0; i < 2; ++i) {
    std::string wrapped;
    ASSERT_TRUE(absl::Base64Unescape(
        after["keys"][i]["wrapped"].get<std::string>(), &wrapped));
    EXPECT_NE(after["keys"][i]["wrapped"], before["keys"][i]["wrapped"]);
    // Wrapped under the new KEK; the old one is retired from the HSM.
    EXPECT_EQ(env_->store().UnwrapKeyWith(old_label, wrapped).status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(env_->store().UnwrapKeyWith(new_label, wrapped).ok());
  }
  EXPECT_EQ(SecretView(*Open(*keyring, *first, kPlace)), "first");
  Restart();
  keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  EXPECT_EQ(keyring->Info().kek_label, "sejf-kek-v2");
  EXPECT_EQ(SecretView(*Open(*keyring, *first, kPlace)), "first");
  EXPECT_EQ(SecretView(*Open(*keyring, *second, kPlace)), "second");
  // And once more: v3.
  ASSERT_TRUE(keyring->RotateKek().ok());
  EXPECT_EQ(keyring->Info().kek_label, "sejf-kek-v3");
  EXPECT_EQ(SecretView(*Open(*keyring, *second, kPlace)), "second");
}

TEST_P(KeyringTest, RotateKekSkipsALabelAlreadyTakenInTheHsm) {
  auto keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  ASSERT_TRUE(env_->store().CreateKek("sejf-kek-v2").ok());  // not ours
  const std::string foreign_id = *env_->store().KekId("sejf-kek-v2");
  auto uri = keyring->RotateKek();
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(keyring->Info().kek_label, "sejf-kek-v3");
  // Never touched: the keyring did not create it.
  auto still = env_->store().KekId("sejf-kek-v2");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(*still, foreign_id);
  EXPECT_FALSE(StoredRecord().contains("retired_keks"));
}

// How many of sejf-kek-v1 … v`up_to` exist in the HSM.
int CountKeks(hsm::KeyStore& store, int up_to) {
  int count = 0;
  for (int v = 1; v <= up_to; ++v) {
    if (store.KekId(absl::StrCat("sejf-kek-v", v)).ok()) ++count;
  }
  return count;
}

TEST_P(KeyringTest, RepeatedKekRotationsLeaveOnlyTheCurrentKek) {
  auto keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  auto sealed = Seal(*keyring, "kept", kPlace);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(StoredRecord()["kek_id"],
            absl::BytesToHexString(*env_->store().KekId("sejf-kek-v1")));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(keyring->RotateKek().ok());
    ASSERT_TRUE(keyring->Rotate().ok());
    EXPECT_EQ(CountKeks(env_->store(), 10), 1) << "after rotation " << i + 1;
  }
  EXPECT_EQ(keyring->Info().kek_label, "sejf-kek-v6");
  nlohmann::json j = StoredRecord();
  EXPECT_FALSE(j.contains("retired_keks")) << j.dump();
  EXPECT_FALSE(j.contains("pending_kek")) << j.dump();
  EXPECT_EQ(j["kek_id"],
            absl::BytesToHexString(*env_->store().KekId("sejf-kek-v6")));
  Restart();
  keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  EXPECT_EQ(SecretView(*Open(*keyring, *sealed, kPlace)), "kept");
  EXPECT_EQ(keyring->Info().key_count, 6);
}

// Fails WrapKeyWith while `fail` is set: a rotation that stops after
// creating its new KEK, before anything is wrapped under it.
class FailingWrapWith : public hsm::KeyStoreWrapper {
 public:
  using KeyStoreWrapper::KeyStoreWrapper;
  bool fail = false;
  absl::StatusOr<std::string> WrapKeyWith(
      absl::string_view kek_label, const SecretBytes& data_key) override {
    if (fail) return absl::UnavailableError("injected: device away");
    return KeyStoreWrapper::WrapKeyWith(kek_label, data_key);
  }
};

TEST_P(KeyringTest, KekOfAnInterruptedRotationIsRetiredByTheNext) {
  FailingWrapWith store(&env_->store());
  std::string sealed;
  {
    auto keyring = Keyring::Open(storage_.get(), &store, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    sealed = *Seal(**keyring, "kept", kPlace);
    store.fail = true;
    EXPECT_EQ((*keyring)->RotateKek().status().code(),
              absl::StatusCode::kUnavailable);
    EXPECT_EQ((*keyring)->Info().kek_label, "sejf-kek-v1");
  }
  // The new KEK exists, recorded as pending; the old one is still current.
  EXPECT_TRUE(store.KekId("sejf-kek-v2").ok());
  EXPECT_EQ(StoredRecord()["pending_kek"]["label"], "sejf-kek-v2");
  Restart();
  store.fail = false;
  auto keyring = Keyring::Open(storage_.get(), &store, &clock_);
  ASSERT_TRUE(keyring.ok()) << keyring.status();
  EXPECT_EQ(SecretView(*Open(**keyring, sealed, kPlace)), "kept");
  ASSERT_TRUE((*keyring)->RotateKek().ok());
  EXPECT_EQ((*keyring)->Info().kek_label, "sejf-kek-v3");
  EXPECT_EQ(CountKeks(store, 5), 1);
  EXPECT_TRUE(store.KekId("sejf-kek-v3").ok());
  EXPECT_FALSE(StoredRecord().contains("retired_keks"));
  EXPECT_FALSE(StoredRecord().contains("pending_kek"));
  EXPECT_EQ(SecretView(*Open(**keyring, sealed, kPlace)), "kept");
}

TEST_P(KeyringTest, RetirementCutShortIsFinishedAtTheNextStart) {
  hsm::testing::FaultyKeyStore faulty(&env_->store());
  std::string sealed;
  {
    auto keyring = Keyring::Open(storage_.get(), &faulty, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    sealed = *Seal(**keyring, "kept", kPlace);
    faulty.FailNext(hsm::testing::FaultyKeyStore::Operation::kDestroyKek, 1);
    ASSERT_TRUE((*keyring)->RotateKek().ok()) << "the rotation itself is done";
  }
  EXPECT_EQ(CountKeks(faulty, 5), 2);
  EXPECT_EQ(StoredRecord()["retired_keks"][0]["label"], "sejf-kek-v1");
  Restart();
  auto keyring = Keyring::Open(storage_.get(), &faulty, &clock_);
  ASSERT_TRUE(keyring.ok()) << keyring.status();
  EXPECT_EQ(CountKeks(faulty, 5), 1);
  EXPECT_TRUE(faulty.KekId("sejf-kek-v2").ok());
  EXPECT_FALSE(StoredRecord().contains("retired_keks"));
  EXPECT_EQ(SecretView(*Open(**keyring, sealed, kPlace)), "kept");
}

TEST_P(KeyringTest, RecordFromBeforeKekIdsRetiresItsKekByTheIdFoundThen) {
  std::string sealed;
  {
    auto keyring = OpenKeyring();
    ASSERT_NE(keyring, nullptr);
    sealed = *Seal(*keyring, "kept", kPlace);
  }
  nlohmann::json j = StoredRecord();
  j.erase("kek_id");  // as the previous sejfd wrote it
  {
    auto txn = storage_->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(
        (*txn)->Update(kKeyringKind, kKeyringRecordName, 1, j.dump()).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto keyring = OpenKeyring();
  ASSERT_NE(keyring, nullptr);
  ASSERT_TRUE(keyring->RotateKek().ok());
  EXPECT_EQ(CountKeks(env_->store(), 5), 1);
  EXPECT_EQ(SecretView(*Open(*keyring, sealed, kPlace)), "kept");
}

TEST_P(KeyringTest, KeysRotatedByAnotherProcessAreTakenUpOnFirstUse) {
  auto a = OpenKeyring();
  auto b = OpenKeyring();
  ASSERT_TRUE(a != nullptr && b != nullptr);
  ASSERT_TRUE(b->Rotate().ok());
  auto sealed = Seal(*b, "from b", kPlace);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(a->Info().current_id, 1u);
  auto opened = Open(*a, *sealed, kPlace);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(SecretView(*opened), "from b");
  EXPECT_EQ(a->Info().current_id, 2u);
  // a's own rotation builds on b's: id 3, not a second id 2.
  auto id = a->Rotate();
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 3u);
}

TEST_P(KeyringTest, RefreshTakesUpAnotherProcesssRotationsBeforeSealing) {
  auto a = OpenKeyring();
  auto b = OpenKeyring();
  ASSERT_TRUE(a != nullptr && b != nullptr);
  // Nothing changed: Refresh keeps what a holds.
  ASSERT_TRUE(a->Refresh().ok());
  EXPECT_EQ(a->Info().current_id, 1u);

  ASSERT_TRUE(b->Rotate().ok());
  ASSERT_TRUE(b->RotateKek().ok());
  ASSERT_TRUE(a->Refresh().ok());
  // a now seals under b's new data key and reports b's KEK.
  EXPECT_EQ(a->Info().current_id, 2u);
  EXPECT_EQ(a->Info().kek_label, b->Info().kek_label);
  auto sealed = Seal(*a, "from a", kPlace);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*SealedDataKeyId(*sealed), 2u);
  auto opened = Open(*b, *sealed, kPlace);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(SecretView(*opened), "from a");
  // After the old KEK is gone, a still rotates under the new one, and b
  // takes that up in turn.
  auto id = a->Rotate();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 3u);
  ASSERT_TRUE(b->Refresh().ok());
  EXPECT_EQ(b->Info().current_id, 3u);
}

TEST_P(KeyringTest, AlteredWrappedKeyFailsToOpenWithDataLoss) {
  ASSERT_NE(OpenKeyring(), nullptr);
  nlohmann::json j = StoredRecord();
  std::string wrapped;
  ASSERT_TRUE(absl::Base64Unescape(j["keys"][0]["wrapped"].get<std::string>(),
                                   &wrapped));
  wrapped[7] ^= 0x01;
  j["keys"][0]["wrapped"] = absl::Base64Escape(wrapped);
  {
    auto txn = storage_->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(
        (*txn)->Update(kKeyringKind, kKeyringRecordName, 1, j.dump()).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto keyring = Keyring::Open(storage_.get(), &env_->store(), &clock_);
  EXPECT_EQ(keyring.status().code(), absl::StatusCode::kDataLoss)
      << keyring.status();
}

TEST_P(KeyringTest, DamagedRecordFailsToOpenWithDataLoss) {
  ASSERT_NE(OpenKeyring(), nullptr);
  auto txn = storage_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)
                  ->Update(kKeyringKind, kKeyringRecordName, 1, "{\"format\":1")
                  .ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  txn->reset();
  auto keyring = Keyring::Open(storage_.get(), &env_->store(), &clock_);
  EXPECT_EQ(keyring.status().code(), absl::StatusCode::kDataLoss);
}

TEST_P(KeyringTest, AnotherHsmCannotOpenTheKeyring) {
  ASSERT_NE(OpenKeyring(), nullptr);
  hsm::testing::FakeKeyStore stranger;
  ASSERT_TRUE(stranger.WrapKey(SecretBytes(32)).ok());  // has a default KEK
  auto keyring = Keyring::Open(storage_.get(), &stranger, &clock_);
  EXPECT_EQ(keyring.status().code(), absl::StatusCode::kDataLoss)
      << keyring.status();
  hsm::testing::FakeKeyStore empty;
  EXPECT_EQ(Keyring::Open(storage_.get(), &empty, &clock_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// The versioned-KEK calls of hsm::KeyStore the keyring relies on (until the
// KeyStore contract suite covers them).
TEST_P(KeyringTest, KeyStoreKeepsSeveralKeksApart) {
  hsm::KeyStore& store = env_->store();
  SecretBytes dek(hsm::kDataKeySize, 0x5a);
  EXPECT_EQ(store.WrapKeyWith("sejf-kek-v9", dek).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      store.UnwrapKeyWith("sejf-kek-v9", std::string(40, 'x')).status().code(),
      absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store.CreateKek("sejf-kek-v9").ok());
  EXPECT_EQ(store.CreateKek("sejf-kek-v9").code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store.CreateKek("").code(), absl::StatusCode::kInvalidArgument);
  auto v9 = store.WrapKeyWith("sejf-kek-v9", dek);
  ASSERT_TRUE(v9.ok()) << v9.status();
  auto back = store.UnwrapKeyWith("sejf-kek-v9", *v9);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SecretEquals(*back, dek));
  auto v1 = store.WrapKey(dek);  // the default KEK
  ASSERT_TRUE(v1.ok());
  EXPECT_NE(*v1, *v9);
  EXPECT_EQ(store.UnwrapKeyWith("sejf-kek-v9", *v1).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(store.UnwrapKey(*v9).status().code(), absl::StatusCode::kDataLoss);
  auto uri = hsm::ParsePkcs11Uri(store.KekUri("sejf-kek-v9"));
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->object, "sejf-kek-v9");
  EXPECT_EQ(uri->type, "secret-key");
  EXPECT_EQ(uri->token, env_->token_label());
}

INSTANTIATE_TEST_SUITE_P(
    Stores, KeyringTest,
    ::testing::Values(
        Implementation{"SoftHsm",
                       [] { return hsm::testing::MakePkcs11TestEnv(); }},
        Implementation{
            "Fake",
            []() -> absl::StatusOr<std::unique_ptr<KeyStoreTestEnv>> {
              return hsm::testing::MakeFakeTestEnv();
            }}),
    [](const ::testing::TestParamInfo<Implementation>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace sejf::vault
