// MinistryCertificateStore over SQLite in a temporary directory.
#include "signer/ministry/ministry_certificate_store.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/crypto_init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "signer/ministry/testing/ministry_test_certs.h"
#include "signer/x509/testing/openssl_cli.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::JsonItem;
using ::sejf::signer::testing::JsonList;
using ::sejf::signer::testing::MakeIssuedTestCert;
using ::sejf::signer::testing::MakeTestCert;
using ::sejf::signer::testing::ScratchDir;
using ::sejf::signer::testing::TestCert;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Usage = MinistryCertificateUsage;

const absl::Time kNow = absl::FromUnixSeconds(1772323200);  // 2026-03-01
const absl::Duration kDay = absl::Hours(24);

// Environments test, demo, prod, testing and acme-staging trust a test CA
// made here (Cert issues from it); "custom" has no trust configured.
class MinistryCertificateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    auto storage = vault::SqliteStorage::Open(dir_.Path("sejf.db"), clock_);
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = std::move(*storage);
    auto keyring = vault::Keyring::Open(storage_.get(), &keys_, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = std::move(*keyring);
    ca_ = MakeTestCert({.common_name = "Test Ministry CA", .ca = true});
    std::map<std::string, MinistryTrustSettings> environments;
    for (const char* env :
         {"test", "demo", "prod", "testing", "acme-staging"}) {
      environments[env] = {.anchors_pem = ca_.pem};
    }
    auto trust = MinistryTrust::Create(environments, keyring_.get());
    ASSERT_TRUE(trust.ok()) << trust.status();
    trust_ = std::move(*trust);
    store_ = std::make_unique<MinistryCertificateStore>(storage_.get(),
                                                        trust_.get(), &clock_);
  }

  TestCert Cert(absl::Time from, absl::Time to) {
    return MakeIssuedTestCert(ca_, {.not_before = from, .not_after = to});
  }

  ScratchDir dir_;
  FakeClock clock_{kNow};
  hsm::testing::FakeKeyStore keys_;
  std::unique_ptr<vault::SqliteStorage> storage_;
  std::unique_ptr<vault::Keyring> keyring_;
  TestCert ca_;
  std::unique_ptr<MinistryTrust> trust_;
  std::unique_ptr<MinistryCertificateStore> store_;
};

TEST_F(MinistryCertificateStoreTest, RogueCertificateIsRefusedAndNotStored) {
  // openssl req -x509 -newkey rsa:2048 -subj "/CN=Not the Ministry"
  TestCert rogue = MakeTestCert({.common_name = "Not the Ministry"});
  auto chained = store_->Import("test", rogue.pem);
  EXPECT_EQ(chained.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(chained.status().message(), HasSubstr("does not chain"));
  auto unpinned = store_->Import("custom", rogue.pem);
  EXPECT_EQ(unpinned.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unpinned.status().message(),
              HasSubstr(MinistryCertificate{.der = rogue.der}.Fingerprint()));
  EXPECT_TRUE(store_->List("")->certificates.empty());
}

TEST_F(MinistryCertificateStoreTest, OperatorPinnedImportIsUsableAfterReading) {
  TestCert pinned = MakeTestCert();
  std::string fingerprint =
      MinistryCertificate{.der = pinned.der}.Fingerprint();
  auto imported = store_->Import("custom", pinned.pem,
                                 Usage::kKsefTokenEncryption, {fingerprint});
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ((*imported)[0].trusted_by, "operator-pin");
  auto stored = store_->SelectForTokenEncryption("custom", kNow);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(trust_->CheckForUse(*stored, kNow).ok());
}

TEST_F(MinistryCertificateStoreTest, ReimportRepairsARecordAlteredInStorage) {
  TestCert pinned = MakeTestCert();
  std::string fingerprint =
      MinistryCertificate{.der = pinned.der}.Fingerprint();
  ASSERT_TRUE(store_
                  ->Import("custom", pinned.pem, Usage::kKsefTokenEncryption,
                           {fingerprint})
                  .ok());
  // Someone with the database rewrites the row without its seal.
  auto stored = store_->SelectForTokenEncryption("custom", kNow);
  ASSERT_TRUE(stored.ok());
  MinistryCertificate altered = *stored;
  altered.pin_seal.clear();
  {
    auto tx = storage_->Begin(vault::TransactionMode::kReadWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)
                    ->Update(kMinistryCertificateKind, stored->record_name,
                             stored->version,
                             EncodeMinistryCertificateRecord(altered))
                    .ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  auto read = store_->SelectForTokenEncryption("custom", kNow);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(trust_->CheckForUse(*read, kNow).ok());
  EXPECT_EQ(store_->List("custom")->certificates[0].trusted_by, "untrusted");
  auto again = store_->Import("custom", pinned.pem, Usage::kKsefTokenEncryption,
                              {fingerprint});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].version, 3);
  auto repaired = store_->SelectForTokenEncryption("custom", kNow);
  ASSERT_TRUE(repaired.ok());
  EXPECT_TRUE(trust_->CheckForUse(*repaired, kNow).ok());
  EXPECT_EQ(store_->List("custom")->certificates[0].trusted_by, "operator-pin");
}

TEST_F(MinistryCertificateStoreTest, ImportStoresPerEnvironmentAndLists) {
  TestCert token = Cert(kNow - 100 * kDay, kNow + 600 * kDay);
  TestCert symmetric = Cert(kNow - 100 * kDay, kNow + 600 * kDay);
  std::string list =
      JsonList({JsonItem(token, {"KsefTokenEncryption"}),
                JsonItem(symmetric, {"SymmetricKeyEncryption"})});
  auto imported = store_->Import("test", list);
  ASSERT_TRUE(imported.ok()) << imported.status();
  ASSERT_EQ(imported->size(), 2u);
  EXPECT_EQ((*imported)[0].environment, "test");
  EXPECT_EQ((*imported)[0].version, 1);
  EXPECT_EQ((*imported)[0].import_time, kNow);
  EXPECT_EQ((*imported)[0].record_name,
            absl::StrCat("test/", (*imported)[0].Fingerprint()));
  ASSERT_TRUE(store_->Import("demo", token.pem).ok());

  auto test_only = store_->List("test");
  ASSERT_TRUE(test_only.ok()) << test_only.status();
  ASSERT_EQ(test_only->certificates.size(), 2u);
  for (const MinistryCertificate& c : test_only->certificates) {
    EXPECT_EQ(c.environment, "test");
  }
  auto all = store_->List("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->certificates.size(), 3u);
  EXPECT_EQ(all->certificates[0].environment, "demo");
  auto prod = store_->List("prod");
  ASSERT_TRUE(prod.ok());
  EXPECT_TRUE(prod->certificates.empty());
}

TEST_F(MinistryCertificateStoreTest, StoredRecordReadsBackEqual) {
  TestCert token = Cert(kNow - kDay, kNow + kDay);
  auto imported = store_->Import(
      "test", JsonList({JsonItem(
                  token, {"KsefTokenEncryption", "SymmetricKeyEncryption"})}));
  ASSERT_TRUE(imported.ok()) << imported.status();
  auto listed = store_->List("test");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->certificates.size(), 1u);
  const MinistryCertificate& c = listed->certificates[0];
  EXPECT_EQ(EncodeMinistryCertificateRecord(c),
            EncodeMinistryCertificateRecord((*imported)[0]));
  EXPECT_THAT(c.usages, ElementsAre(Usage::kKsefTokenEncryption,
                                    Usage::kSymmetricKeyEncryption));
  EXPECT_EQ(c.der, token.der);
}

TEST_F(MinistryCertificateStoreTest, ImportIsIdempotentPerCertificate) {
  TestCert token = Cert(kNow - kDay, kNow + 400 * kDay);
  ASSERT_TRUE(store_->Import("test", token.der).ok());
  clock_.Advance(absl::Hours(1));
  auto again = store_->Import("test", token.pem);  // same cert, same usage
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].version, 1) << "nothing changed";
  EXPECT_EQ((*again)[0].import_time, kNow);
  EXPECT_EQ(store_->List("test")->certificates.size(), 1u);

  auto retagged = store_->Import(
      "test", JsonList({JsonItem(token, {"SymmetricKeyEncryption"})}));
  ASSERT_TRUE(retagged.ok()) << retagged.status();
  EXPECT_EQ((*retagged)[0].version, 2);
  EXPECT_THAT(store_->List("test")->certificates[0].usages,
              ElementsAre(Usage::kSymmetricKeyEncryption));
}

TEST_F(MinistryCertificateStoreTest, RefusedImportChangesNothing) {
  TestCert good = Cert(kNow - kDay, kNow + 400 * kDay);
  TestCert weak = MakeTestCert({.key = testing::TestKeyType::kRsa1024});
  auto refused = store_->Import(
      "test", JsonList({JsonItem(good, {"KsefTokenEncryption"}),
                        JsonItem(weak, {"KsefTokenEncryption"})}));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("item [1]"));
  EXPECT_TRUE(store_->List("")->certificates.empty());
}

TEST_F(MinistryCertificateStoreTest, EnvironmentNamesFollowTheRule) {
  TestCert good = Cert(kNow - kDay, kNow + 400 * kDay);
  EXPECT_TRUE(store_->Import("acme-staging", good.der).ok());
  for (const char* bad : {"", "Test", "te/st", "../prod"}) {
    auto status = store_->Import(bad, good.der).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("environment")) << bad;
  }
  EXPECT_EQ(store_->List("Prod").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(MinistryCertificateStoreTest, ListPages) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        store_->Import("test", Cert(kNow - kDay, kNow + kDay).der).ok());
  }
  ASSERT_TRUE(
      store_->Import("testing", Cert(kNow - kDay, kNow + kDay).der).ok());
  auto first = store_->List("test", 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->certificates.size(), 2u);
  ASSERT_FALSE(first->next_page_token.empty());
  auto second = store_->List("test", 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->certificates.size(), 1u);
  EXPECT_EQ(second->certificates[0].environment, "test");
  EXPECT_TRUE(second->next_page_token.empty());
  EXPECT_EQ(store_->List("demo", 2, first->next_page_token).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List("test", -1, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(MinistryCertificateStoreTest, SelectionPicksLatestValidFromAmongValid) {
  TestCert older = Cert(kNow - 300 * kDay, kNow + 300 * kDay);
  TestCert newer = Cert(kNow - 10 * kDay, kNow + 700 * kDay);
  TestCert future = Cert(kNow + 10 * kDay, kNow + 900 * kDay);
  TestCert symmetric = Cert(kNow - kDay, kNow + 900 * kDay);
  ASSERT_TRUE(
      store_
          ->Import("prod",
                   JsonList({JsonItem(older, {"KsefTokenEncryption"}),
                             JsonItem(future, {"KsefTokenEncryption"}),
                             JsonItem(symmetric, {"SymmetricKeyEncryption"}),
                             JsonItem(newer, {"KsefTokenEncryption"})}))
          .ok());
  ASSERT_TRUE(store_->Import("test", Cert(kNow - kDay, kNow + kDay).der).ok());
  auto chosen = store_->SelectForTokenEncryption("prod", kNow);
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(chosen->der, newer.der);
  // Once the future one is valid, it takes over (planned rotation).
  auto later = store_->SelectForTokenEncryption("prod", kNow + 20 * kDay);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->der, future.der);
  // Past every certificate's validTo there is none.
  auto none = store_->SelectForTokenEncryption("prod", kNow + 1000 * kDay);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.status().message(),
              HasSubstr("import with sejf mfcert import --environment prod"));
}

TEST_F(MinistryCertificateStoreTest, SelectionNeedsTheTokenUsage) {
  ASSERT_TRUE(store_
                  ->Import("demo", Cert(kNow - kDay, kNow + kDay).der,
                           Usage::kSymmetricKeyEncryption)
                  .ok());
  auto none = store_->SelectForTokenEncryption("demo", kNow);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.status().message(),
              HasSubstr("import with sejf mfcert import --environment demo"));
  EXPECT_EQ(store_->SelectForTokenEncryption("test", kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(MinistryCertificateStoreTest, KsefListRetiresWhatItNoLongerHolds) {
  TestCert kept = Cert(kNow - 10 * kDay, kNow + 400 * kDay);
  TestCert withdrawn = Cert(kNow - kDay, kNow + 400 * kDay);
  TestCert other_env = Cert(kNow - kDay, kNow + 400 * kDay);
  const std::string withdrawn_fp =
      MinistryCertificate{.der = withdrawn.der}.Fingerprint();
  ASSERT_TRUE(store_->Import("demo", other_env.der).ok());
  auto first = store_->ImportFromKsef(
      "test", JsonList({JsonItem(kept, {"KsefTokenEncryption"}),
                        JsonItem(withdrawn, {"KsefTokenEncryption"})}));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->certificates.size(), 2u);
  EXPECT_EQ(first->added.size(), 2u);
  EXPECT_TRUE(first->retired.empty());
  // The newer one is chosen while KSeF lists it.
  EXPECT_EQ(store_->SelectForTokenEncryption("test", kNow)->der, withdrawn.der);

  clock_.Advance(absl::Hours(1));
  const absl::Time withdrawn_at = clock_.Now();
  auto second = store_->ImportFromKsef(
      "test", JsonList({JsonItem(kept, {"KsefTokenEncryption"})}));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->added.empty());
  EXPECT_THAT(second->retired, ElementsAre(withdrawn_fp));
  EXPECT_TRUE(second->unretired.empty());
  EXPECT_EQ(store_->SelectForTokenEncryption("test", clock_.Now())->der,
            kept.der);
  auto listed = store_->List("");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->certificates.size(), 3u) << "retired is kept, listed";
  for (const MinistryCertificate& c : listed->certificates) {
    if (c.der == withdrawn.der) {
      EXPECT_EQ(c.retire_time, withdrawn_at);
    } else {
      EXPECT_EQ(c.retire_time, std::nullopt) << c.record_name;
    }
  }

  // The same list again changes nothing; a retired one keeps its time.
  clock_.Advance(absl::Hours(1));
  auto same = store_->ImportFromKsef(
      "test", JsonList({JsonItem(kept, {"KsefTokenEncryption"})}));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_FALSE(same->changed());
  EXPECT_EQ((*same).certificates[0].version, 1);

  // Listed again: current again, chosen again.
  auto back = store_->ImportFromKsef(
      "test", JsonList({JsonItem(kept, {"KsefTokenEncryption"}),
                        JsonItem(withdrawn, {"KsefTokenEncryption"})}));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_THAT(back->unretired, ElementsAre(withdrawn_fp));
  EXPECT_TRUE(back->added.empty());
  EXPECT_TRUE(back->retired.empty());
  EXPECT_EQ(back->certificates[1].retire_time, std::nullopt);
  EXPECT_EQ(back->certificates[1].import_time, kNow) << "first import kept";
  EXPECT_EQ(store_->SelectForTokenEncryption("test", clock_.Now())->der,
            withdrawn.der);
}

TEST_F(MinistryCertificateStoreTest, EveryKeyRetiredLeavesNoneToChoose) {
  TestCert old_key = Cert(kNow - kDay, kNow + 400 * kDay);
  TestCert symmetric = Cert(kNow - kDay, kNow + 400 * kDay);
  ASSERT_TRUE(store_->Import("prod", old_key.der).ok());
  ASSERT_TRUE(
      store_
          ->ImportFromKsef("prod", JsonList({JsonItem(
                                       symmetric, {"SymmetricKeyEncryption"})}))
          .ok());
  auto none = store_->SelectForTokenEncryption("prod", kNow);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.status().message(), HasSubstr("1 retired"));
}

TEST_F(MinistryCertificateStoreTest, RefusedKsefListRetiresNothing) {
  TestCert current = Cert(kNow - kDay, kNow + 400 * kDay);
  TestCert fresh = Cert(kNow - kDay, kNow + 400 * kDay);
  TestCert rogue = MakeTestCert({.common_name = "Not the Ministry"});
  ASSERT_TRUE(store_->Import("test", current.der).ok());
  auto refused = store_->ImportFromKsef(
      "test", JsonList({JsonItem(fresh, {"KsefTokenEncryption"}),
                        JsonItem(rogue, {"KsefTokenEncryption"})}));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  auto listed = store_->List("test");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->certificates.size(), 1u);
  EXPECT_EQ(listed->certificates[0].retire_time, std::nullopt);
  EXPECT_EQ(listed->certificates[0].version, 1);
  // KSeF's list is JSON, never an operator's PEM, and never empty.
  EXPECT_EQ(store_->ImportFromKsef("test", fresh.pem).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ImportFromKsef("test", "[]").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List("test")->certificates[0].retire_time, std::nullopt);
}

TEST_F(MinistryCertificateStoreTest, OperatorImportUnretires) {
  TestCert a = Cert(kNow - kDay, kNow + 400 * kDay);
  TestCert b = Cert(kNow - kDay, kNow + 400 * kDay);
  ASSERT_TRUE(store_->Import("test", a.der).ok());
  ASSERT_TRUE(store_
                  ->ImportFromKsef(
                      "test", JsonList({JsonItem(b, {"KsefTokenEncryption"})}))
                  .ok());
  auto again = store_->Import("test", a.der);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].retire_time, std::nullopt);
  auto listed = store_->List("test");
  ASSERT_TRUE(listed.ok()) << listed.status();
  for (const MinistryCertificate& c : listed->certificates) {
    EXPECT_EQ(c.retire_time, std::nullopt) << c.record_name;
  }
}

TEST(MinistryCertificateRecordTest,
     RetireTimeRoundTripsAndOldRecordsAreCurrent) {
  MinistryCertificate c{
      .environment = "test",
      .usages = {MinistryCertificateUsage::kKsefTokenEncryption},
      .valid_from = kNow,
      .valid_to = kNow + kDay,
      .import_time = kNow};
  std::string current = EncodeMinistryCertificateRecord(c);
  EXPECT_THAT(current, ::testing::Not(HasSubstr("retired_time_us")));
  EXPECT_EQ(DecodeMinistryCertificateRecord(current)->retire_time,
            std::nullopt);
  c.retire_time = kNow + absl::Hours(2);
  std::string retired = EncodeMinistryCertificateRecord(c);
  EXPECT_THAT(retired, HasSubstr("\"retired_time_us\":"));
  EXPECT_EQ(DecodeMinistryCertificateRecord(retired)->retire_time,
            kNow + absl::Hours(2));
}

TEST(MinistryCertificateRecordTest, DamagedRecordIsDataLoss) {
  EXPECT_EQ(DecodeMinistryCertificateRecord("{").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeMinistryCertificateRecord("{\"format\":2}").status().code(),
            absl::StatusCode::kDataLoss);
  // Numbers that are not 64-bit integers are damage, not a conversion.
  for (const char* number : {"1e30", "1.5", "18446744073709551615", "\"1\""}) {
    MinistryCertificate c{
        .environment = "test",
        .usages = {MinistryCertificateUsage::kKsefTokenEncryption},
        .der = "der",
        .import_time = absl::FromUnixSeconds(1764000000)};
    std::string record = EncodeMinistryCertificateRecord(c);
    const std::string key = "\"valid_from_us\":";
    const std::size_t at = record.find(key) + key.size();
    record.replace(at, record.find(',', at) - at, number);
    EXPECT_EQ(DecodeMinistryCertificateRecord(record).status().code(),
              absl::StatusCode::kDataLoss)
        << record;
  }
  EXPECT_EQ(
      DecodeMinistryCertificateRecord("{\"format\":1e30}").status().code(),
      absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sejf::signer
