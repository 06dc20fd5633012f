// KeyCustody::Generate never destroys a key it did not create (issue 11,
// finding 2): reserved names are refused, a foreign object with the label a
// name maps to is left untouched, and a crash between creating the HSM pair
// and recording the key is recovered by destroying exactly the object with
// the recorded CKA_ID. Over the in-memory key store (wrapped to inject
// faults) and storage; the same flows against SoftHSM2 and a real sejfd are
// in tests/key_cli_e2e_test.cc.
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/crypto_init.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/faulty_key_store.h"
#include "signer/custody/key_custody.h"
#include "signer/custody/key_intent.h"
#include "vault/storage/memory_storage.h"

namespace sejf::signer {
namespace {

using vault::KeyUsage;

class KeyCustodyNamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }

  // A key pair another party put in the token, by label.
  hsm::KeyRef Plant(const std::string& label) {
    auto key = keys_.GenerateKeyPair(label, hsm::KeyAlgorithm::kEcP256);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? *key : hsm::KeyRef{};
  }

  // Whether `key` is still in the token with its original public key.
  void ExpectIntact(const hsm::KeyRef& key, const std::string& spki) {
    auto found = keys_.FindKeyByLabel(key.label);
    ASSERT_TRUE(found.ok()) << key.label << ": " << found.status();
    EXPECT_EQ(found->id, key.id) << key.label;
    EXPECT_EQ(*keys_.PublicKey(key), spki) << key.label;
    EXPECT_TRUE(keys_.Sign(key, hsm::SignatureScheme::kEcdsaSha256, "x").ok());
  }

  absl::StatusOr<Key> Generate(const std::string& name) {
    return custody_.Generate(name, hsm::KeyAlgorithm::kEcP256,
                             KeyUsage::kAuthentication);
  }

  bool HasIntent(const std::string& name) {
    auto intent = storage_.Get(kKeyIntentKind, name);
    return intent.ok() && intent->has_value();
  }

  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  hsm::testing::FakeKeyStore keys_;
  hsm::testing::FaultyKeyStore faulty_{&keys_};
  vault::MemoryStorage storage_{clock_};
  KeyCustody custody_{&faulty_, &storage_, &clock_};
};

TEST_F(KeyCustodyNamespaceTest, ReservedNamesAreRefusedAndTheAuditKeyStays) {
  const hsm::KeyRef audit = Plant("sejf-audit");
  const std::string audit_spki = *keys_.PublicKey(audit);
  ASSERT_TRUE(keys_.WrapKey(SecretBytes(hsm::kDataKeySize)).ok());  // a KEK
  for (const std::string name :
       {"sejf-audit", "sejf-kek-v1", "sejf-kek-v2", "sejf-anything"}) {
    auto key = Generate(name);
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_TRUE(absl::StrContains(key.status().message(), "reserved"))
        << key.status();
    EXPECT_FALSE(HasIntent(name));
  }
  ExpectIntact(audit, audit_spki);
  EXPECT_TRUE(keys_.UnwrapKey(*keys_.WrapKey(SecretBytes(32))).ok());
}

TEST_F(KeyCustodyNamespaceTest, NoClientNameMapsToAnInternalLabel) {
  // Names cannot hold '/', so "sejf-key/<name>" is never an internal label.
  EXPECT_EQ(CustodyKeyLabel("audit"), "sejf-key/audit");
  const hsm::KeyRef audit = Plant("sejf-audit");
  const std::string spki = *keys_.PublicKey(audit);
  auto key = Generate("audit");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_NE(absl::HexStringToBytes(key->record.key_id), audit.id);
  ExpectIntact(audit, spki);
}

TEST_F(KeyCustodyNamespaceTest, ForeignObjectWithTheMappedLabelIsLeftAlone) {
  const hsm::KeyRef foreign = Plant("sejf-key/erp");
  const hsm::KeyRef unrelated = Plant("erp");  // another application's
  const std::string foreign_spki = *keys_.PublicKey(foreign);
  const std::string unrelated_spki = *keys_.PublicKey(unrelated);
  auto key = Generate("erp");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(absl::StrContains(key.status().message(), "sejf-key/erp"))
      << key.status();
  EXPECT_TRUE(absl::StrContains(key.status().message(), "did not create"))
      << key.status();
  ExpectIntact(foreign, foreign_spki);
  ExpectIntact(unrelated, unrelated_spki);
  // Nothing recorded: no key, no intent left behind.
  EXPECT_EQ(custody_.Get("erp").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(HasIntent("erp"));
  // Trying again changes nothing either.
  EXPECT_EQ(Generate("erp").status().code(), absl::StatusCode::kAlreadyExists);
  ExpectIntact(foreign, foreign_spki);
}

TEST_F(KeyCustodyNamespaceTest, CrashAfterHsmCreationIsRecoveredByRecordedId) {
  const hsm::KeyRef audit = Plant("sejf-audit");
  const hsm::KeyRef unrelated = Plant("crashy");
  const std::string audit_spki = *keys_.PublicKey(audit);
  const std::string unrelated_spki = *keys_.PublicKey(unrelated);
  // The pair is created, then nothing more reaches the HSM or storage: the
  // public key read fails and so does the clean-up, as in a crash.
  faulty_.FailNext(hsm::testing::FaultyKeyStore::Operation::kPublicKey, 1);
  faulty_.FailNext(hsm::testing::FaultyKeyStore::Operation::kDestroy, 1);
  ASSERT_EQ(Generate("crashy").status().code(), absl::StatusCode::kUnavailable);
  auto leftover = keys_.FindKeyByLabel("sejf-key/crashy");
  ASSERT_TRUE(leftover.ok()) << "the crash left the HSM pair";
  ASSERT_TRUE(HasIntent("crashy"));
  // An intent is not a key.
  EXPECT_EQ(custody_.Get("crashy").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(custody_.List({}, 0, "")->keys.empty());

  auto key = Generate("crashy");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_FALSE(HasIntent("crashy"));
  EXPECT_EQ(keys_.FindKeyById(leftover->id).status().code(),
            absl::StatusCode::kNotFound)
      << "the recorded-id object is removed";
  auto now = keys_.FindKeyByLabel("sejf-key/crashy");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(absl::BytesToHexString(now->id), key->record.key_id);
  EXPECT_NE(now->id, leftover->id);
  ExpectIntact(audit, audit_spki);
  ExpectIntact(unrelated, unrelated_spki);
}

TEST_F(KeyCustodyNamespaceTest, CrashBeforeHsmCreationIsRecoveredToo) {
  faulty_.FailNext(hsm::testing::FaultyKeyStore::Operation::kGenerateKeyPair,
                   1);
  ASSERT_EQ(Generate("early").status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(HasIntent("early"));
  auto key = Generate("early");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_TRUE(
      custody_.CreateCsr("early", *DistinguishedName::Parse("CN=x")).ok());
}

TEST_F(KeyCustodyNamespaceTest, RecoveryNeverDestroysByLabelAlone) {
  // A crashed generate recorded its intent; before the retry, the label it
  // meant to use is taken by someone else's object (another id).
  faulty_.FailNext(hsm::testing::FaultyKeyStore::Operation::kGenerateKeyPair,
                   1);
  ASSERT_FALSE(Generate("raced").ok());
  const hsm::KeyRef foreign = Plant("sejf-key/raced");
  const std::string spki = *keys_.PublicKey(foreign);
  EXPECT_EQ(Generate("raced").status().code(),
            absl::StatusCode::kAlreadyExists);
  ExpectIntact(foreign, spki);
}

TEST_F(KeyCustodyNamespaceTest, DamagedIntentStopsGenerateTouchingNothing) {
  const hsm::KeyRef audit = Plant("sejf-audit");
  const std::string spki = *keys_.PublicKey(audit);
  {
    auto txn = storage_.Begin(vault::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Insert(kKeyIntentKind, "bent", "{\"format\":1").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_EQ(Generate("bent").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(keys_.FindKeyByLabel("sejf-key/bent").status().code(),
            absl::StatusCode::kNotFound);
  ExpectIntact(audit, spki);
}

TEST(KeyIntentTest, RoundTripsAndRefusesDamage) {
  const KeyIntent intent{.key_id = std::string("\x00\x01\xfe\xff", 4),
                         .label = "sejf-key/a"};
  auto back = DecodeKeyIntent(EncodeKeyIntent(intent));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, intent);
  for (const char* bad : {"", "{}", R"({"format":2,"key_id":"00","label":"x"})",
                          R"({"format":1,"key_id":"0g","label":"x"})",
                          R"({"format":1,"key_id":"","label":"x"})",
                          R"({"format":1e30,"key_id":"00","label":"x"})",
                          R"({"format":1.0,"key_id":"00","label":"x"})"}) {
    EXPECT_EQ(DecodeKeyIntent(bad).status().code(), absl::StatusCode::kDataLoss)
        << bad;
  }
}

TEST_F(KeyCustodyNamespaceTest, KeysRecordedBeforeTheNamespaceKeepWorking) {
  // A record as the previous sejfd wrote it: CKA_LABEL = name.
  const hsm::KeyRef old = Plant("old-key");
  vault::KeyRecord record;
  record.key_id = absl::BytesToHexString(old.id);
  record.algorithm = "ec-p256";
  record.usage = KeyUsage::kAuthentication;
  record.state = vault::CredentialState::kActive;
  record.create_time = clock_.Now();
  record.pkcs11_uri = old.uri;
  record.public_key_der = *keys_.PublicKey(old);
  {
    auto txn = storage_.Begin(vault::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)
                    ->Insert(vault::kKeyRecordKind, "old-key",
                             vault::EncodeKeyRecord(record))
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_TRUE(
      custody_.CreateCsr("old-key", *DistinguishedName::Parse("CN=x")).ok());
  auto destroyed = custody_.Destroy("old-key");
  ASSERT_TRUE(destroyed.ok()) << destroyed.status();
  EXPECT_EQ(keys_.FindKeyById(old.id).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sejf::signer
