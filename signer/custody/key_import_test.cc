// KeyCustody::Import over the in-memory key store and storage: an imported
// key signs like a generated one, and no refused or interrupted import
// leaves an HSM object, a record or an intent behind. Keys and certificates
// are made by the openssl command line; the wrap is the CLI's
// (common/import_wrap.h).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

#include "common/crypto_init.h"
#include "common/import_wrap.h"
#include "common/openssl_ptr.h"
#include "common/status_context.h"
#include "gtest/gtest.h"
#include "hsm/signatures.h"
#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/faulty_key_store.h"
#include "signer/custody/key_custody.h"
#include "signer/x509/testing/openssl_cli.h"
#include "vault/storage/memory_storage.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::ReadFileOrEmpty;
using ::sejf::signer::testing::RunOpenssl;
using ::sejf::signer::testing::ScratchDir;
using vault::KeyUsage;

class KeyImportTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }

  // A self-signed certificate with keyUsage `key_usage` and its key, as
  // PKCS#8 DER wrapped for the store's import key.
  struct Material {
    std::string certificate;  // PEM
    std::string wrapped;
  };
  Material Make(const std::string& name, const std::string& key_usage) {
    const std::string key = dir_.Path(name + ".key");
    const std::string cert = dir_.Path(name + ".pem");
    auto made = RunOpenssl(
        {"req", "-x509", "-config",
         dir_.Write("req.cnf", "[req]\ndistinguished_name = dn\n[dn]\n"),
         "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", cert, "-subj", "/CN=" + name, "-days", "2",
         "-addext", "keyUsage=critical," + key_usage});
    EXPECT_EQ(made.exit_code, 0) << made.out;
    const std::string pem = ReadFileOrEmpty(key);
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    EvpPkeyPtr pkey(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    EXPECT_NE(pkey, nullptr);
    PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(pkey.get());
    unsigned char* der = nullptr;
    const int size = i2d_PKCS8_PRIV_KEY_INFO(info, &der);
    PKCS8_PRIV_KEY_INFO_free(info);
    SecretBytes pkcs8(der, der + size);
    OPENSSL_clear_free(der, size);
    auto spki = keys_.ImportKeyPublicKey();
    EXPECT_TRUE(spki.ok()) << spki.status();
    auto wrapped = WrapForImport(*spki, pkcs8);
    EXPECT_TRUE(wrapped.ok()) << wrapped.status();
    return Material{ReadFileOrEmpty(cert), *wrapped};
  }

  // Private keys in the custody namespace.
  int CustodyObjects() {
    auto objects = keys_.ListKeyObjects();
    EXPECT_TRUE(objects.ok());
    int n = 0;
    for (const auto& object : *objects) {
      if (object.label.rfind("sejf-key/", 0) == 0 &&
          object.object_class == hsm::KeyObjectClass::kPrivateKey) {
        ++n;
      }
    }
    return n;
  }

  bool HasIntent(const std::string& name) {
    auto intent = storage_.Get(kKeyIntentKind, name);
    EXPECT_TRUE(intent.ok());
    return intent.ok() && intent->has_value();
  }

  ScratchDir dir_;
  // Certificates are made by openssl from now on, valid for two days.
  FakeClock clock_{absl::Now() + absl::Hours(1)};
  hsm::testing::FakeKeyStore keys_;
  hsm::testing::FaultyKeyStore faulty_{&keys_};
  vault::MemoryStorage storage_{clock_};
  KeyCustody custody_{&faulty_, &storage_, &clock_};
};

TEST_F(KeyImportTest, ImportedKeySignsForTheUsageItsCertificateNames) {
  Material m = Make("login", "digitalSignature,keyEncipherment");
  auto key = custody_.Import({.name = "login",
                              .certificate_chain = m.certificate,
                              .wrapped_key = m.wrapped});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->record.usage, KeyUsage::kAuthentication);
  ASSERT_TRUE(key->record.certificate.has_value());
  EXPECT_FALSE(HasIntent("login"));

  auto usable = custody_.UsableFor("login", KeyUsage::kAuthentication);
  ASSERT_TRUE(usable.ok()) << usable.status();
  auto signature =
      custody_.Sign(*usable, hsm::SignatureScheme::kEcdsaSha256, "document");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_TRUE(hsm::VerifySignature(key->record.public_key_der,
                                   hsm::SignatureScheme::kEcdsaSha256,
                                   "document", *signature)
                  .ok());
  EXPECT_FALSE(custody_.UsableFor("login", KeyUsage::kOffline).ok());
}

TEST_F(KeyImportTest, KeyOfAnotherCertificateLeavesNothing) {
  Material mine = Make("mine", "digitalSignature");
  Material theirs = Make("theirs", "digitalSignature");
  auto key = custody_.Import({.name = "mixed",
                              .certificate_chain = theirs.certificate,
                              .wrapped_key = mine.wrapped});
  ASSERT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TaggedField(key.status()), "wrapped_key");
  EXPECT_NE(key.status().message().find("does not belong to the certificate"),
            std::string::npos)
      << key.status();
  EXPECT_EQ(CustodyObjects(), 0);
  EXPECT_FALSE(HasIntent("mixed"));
  EXPECT_EQ(custody_.Get("mixed").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KeyImportTest, UsageTheCertificateLacksIsRefusedBeforeTheHsm) {
  Material m = Make("seal", "digitalSignature");
  auto key = custody_.Import({.name = "seal",
                              .certificate_chain = m.certificate,
                              .wrapped_key = m.wrapped,
                              .usage = KeyUsage::kOffline});
  ASSERT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TaggedField(key.status()), "usage");
  EXPECT_EQ(CustodyObjects(), 0);
  EXPECT_FALSE(HasIntent("seal"));
}

// The HSM fails after the unwrap and the clean-up fails too: the intent
// names the object, and the next import of the name removes it first.
TEST_F(KeyImportTest, InterruptedImportIsCleanedUpByTheNextOne) {
  Material m = Make("flaky", "nonRepudiation");
  faulty_.FailNext(hsm::testing::FaultyKeyStore::Operation::kSign, 1);
  faulty_.FailNext(hsm::testing::FaultyKeyStore::Operation::kFindKey, 1);
  auto failed = custody_.Import({.name = "flaky",
                                 .certificate_chain = m.certificate,
                                 .wrapped_key = m.wrapped});
  ASSERT_EQ(failed.status().code(), absl::StatusCode::kUnavailable)
      << failed.status();
  EXPECT_TRUE(HasIntent("flaky"));
  EXPECT_EQ(CustodyObjects(), 1);

  auto key = custody_.Import({.name = "flaky",
                              .certificate_chain = m.certificate,
                              .wrapped_key = m.wrapped});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->record.usage, KeyUsage::kOffline);
  EXPECT_EQ(CustodyObjects(), 1);
  EXPECT_FALSE(HasIntent("flaky"));
}

TEST_F(KeyImportTest, ImportKeyOpensWhatTheClientEncrypted) {
  auto info = custody_.import_key().Get();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->fingerprint, ImportKeyFingerprint(info->spki_der));
  EXPECT_EQ(info->spki_pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
  auto ciphertext =
      EncryptToImportKey(info->spki_der, SecretFromView("ksef-token-1"));
  ASSERT_TRUE(ciphertext.ok());
  auto plain = custody_.import_key().Open(*ciphertext, "encrypted_secret");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(SecretView(*plain), "ksef-token-1");
  (*ciphertext)[7] ^= 1;
  auto bad = custody_.import_key().Open(*ciphertext, "encrypted_secret");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TaggedField(bad.status()), "encrypted_secret");
}

}  // namespace
}  // namespace sejf::signer
