// The import key in a real SoftHSM2 token: what clients encrypt and wrap
// with common/import_wrap.h is opened in the token, and a wrapped private
// key lands there sensitive and never extractable.
#include "hsm/pkcs11/import_key.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/import_wrap.h"
#include "common/openssl_ptr.h"
#include "common/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/pkcs11/pkcs11_key_store.h"
#include "hsm/pkcs11/session.h"
#include "hsm/signatures.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm::pkcs11 {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "import";
constexpr char kUserPin[] = "user-pin-4712";

// A fresh key of `type` ("EC" P-256 or "RSA" 2048) and its PKCS#8 DER.
struct TestKey {
  EvpPkeyPtr key;
  SecretBytes pkcs8;
  std::string spki;
};

TestKey MakeKey(bool ec) {
  EVP_PKEY* raw = ec ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                         static_cast<size_t>(2048));
  TestKey out{EvpPkeyPtr(raw), {}, {}};
  PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(raw);
  unsigned char* der = nullptr;
  const int size = i2d_PKCS8_PRIV_KEY_INFO(info, &der);
  out.pkcs8.assign(der, der + size);
  OPENSSL_clear_free(der, size);
  PKCS8_PRIV_KEY_INFO_free(info);
  unsigned char* spki = nullptr;
  const int spki_size = i2d_PUBKEY(raw, &spki);
  out.spki.assign(reinterpret_cast<char*>(spki), spki_size);
  OPENSSL_free(spki);
  return out;
}

class ImportKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto token = testing::CreateTestToken(dir_.path(), kToken, kUserPin);
    ASSERT_TRUE(token.ok()) << token.status();
    module_ = token->module;
    slot_ = token->slot;
    auto store = Pkcs11KeyStore::Create(*std::move(token));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto spki = store_->ImportKeyPublicKey();
    ASSERT_TRUE(spki.ok()) << spki.status();
    import_spki_ = *spki;
  }

  CK_BBOOL BoolOf(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
    CK_BBOOL value = 2;
    CK_ATTRIBUTE attribute{type, &value, sizeof(value)};
    EXPECT_EQ(module_->functions().C_GetAttributeValue(session_->handle(),
                                                       object, &attribute, 1),
              CKR_OK);
    return value;
  }

  CK_OBJECT_HANDLE PrivateKeyWithId(const std::string& id) {
    auto session = Session::Open(module_, slot_, Session::Access::kReadOnly);
    EXPECT_TRUE(session.ok());
    EXPECT_TRUE(session->Login(CKU_USER, SecretFromView(kUserPin)).ok());
    session_ = std::make_unique<Session>(*std::move(session));
    CK_OBJECT_CLASS object_class = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE attributes[] = {
        {CKA_CLASS, &object_class, sizeof(object_class)},
        {CKA_ID, const_cast<char*>(id.data()), id.size()}};
    const CK_FUNCTION_LIST& f = module_->functions();
    EXPECT_EQ(f.C_FindObjectsInit(session_->handle(), attributes, 2), CKR_OK);
    CK_OBJECT_HANDLE found = CK_INVALID_HANDLE;
    CK_ULONG count = 0;
    EXPECT_EQ(f.C_FindObjects(session_->handle(), &found, 1, &count), CKR_OK);
    EXPECT_EQ(f.C_FindObjectsFinal(session_->handle()), CKR_OK);
    return count == 1 ? found : CK_INVALID_HANDLE;
  }

  // How many key objects the token holds besides the import key.
  int OtherKeyObjects() {
    auto objects = store_->ListKeyObjects();
    EXPECT_TRUE(objects.ok()) << objects.status();
    int others = 0;
    for (const KeyObject& object : *objects) {
      if (object.label != kImportKeyLabel) ++others;
    }
    return others;
  }

  testing::TempDir dir_;
  std::shared_ptr<Module> module_;
  CK_SLOT_ID slot_ = 0;
  std::unique_ptr<Pkcs11KeyStore> store_;
  std::unique_ptr<Session> session_;
  std::string import_spki_;
};

TEST_F(ImportKeyTest, ImportKeyIsOneRsa3072KeyMadeOnce) {
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(import_spki_.data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, import_spki_.size()));
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 3072);
  auto again = store_->ImportKeyPublicKey();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, import_spki_);
  EXPECT_EQ(OtherKeyObjects(), 0);
}

TEST_F(ImportKeyTest, DecryptsWhatTheClientEncrypted) {
  const SecretBytes token = SecretFromView("20251204-EC-0123456789ABCDEF");
  auto ciphertext = EncryptToImportKey(import_spki_, token);
  ASSERT_TRUE(ciphertext.ok()) << ciphertext.status();
  auto plain = store_->DecryptWithImportKey(*ciphertext);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(SecretView(*plain), SecretView(token));
}

TEST_F(ImportKeyTest, AlteredCiphertextIsRefused) {
  auto ciphertext =
      EncryptToImportKey(import_spki_, SecretFromView("secret-token"));
  ASSERT_TRUE(ciphertext.ok());
  (*ciphertext)[100] ^= 1;
  auto plain = store_->DecryptWithImportKey(*ciphertext);
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plain.status().message(), HasSubstr("does not decrypt"));
  EXPECT_EQ(store_->DecryptWithImportKey("short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ImportKeyTest, UnwrappedKeysSignAndStaySensitive) {
  for (bool ec : {true, false}) {
    SCOPED_TRACE(ec ? "EC P-256" : "RSA-2048");
    TestKey key = MakeKey(ec);
    auto wrapped = WrapForImport(import_spki_, key.pkcs8);
    ASSERT_TRUE(wrapped.ok()) << wrapped.status();
    const std::string id = RandomBytes(kKeyIdSize);
    const std::string label = ec ? "sejf-key/ec" : "sejf-key/rsa";
    auto ref = store_->UnwrapKeyPairWithId(label, id, *wrapped, key.spki);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(ref->algorithm,
              ec ? KeyAlgorithm::kEcP256 : KeyAlgorithm::kRsa2048);
    const SignatureScheme scheme =
        ec ? SignatureScheme::kEcdsaSha256 : SignatureScheme::kRsaPkcs1Sha256;
    auto signature = store_->Sign(*ref, scheme, "payload");
    ASSERT_TRUE(signature.ok()) << signature.status();
    EXPECT_TRUE(VerifySignature(key.spki, scheme, "payload", *signature).ok());
    auto spki = store_->PublicKey(*ref);
    ASSERT_TRUE(spki.ok()) << spki.status();
    EXPECT_EQ(*spki, key.spki);

    const CK_OBJECT_HANDLE object = PrivateKeyWithId(id);
    ASSERT_NE(object, CK_INVALID_HANDLE);
    EXPECT_EQ(BoolOf(object, CKA_SENSITIVE), CK_TRUE);
    EXPECT_EQ(BoolOf(object, CKA_EXTRACTABLE), CK_FALSE);
    EXPECT_EQ(BoolOf(object, CKA_TOKEN), CK_TRUE);
    EXPECT_EQ(BoolOf(object, CKA_SIGN), CK_TRUE);
    std::string buffer(2048, '\0');
    CK_ATTRIBUTE value{ec ? CKA_VALUE : CKA_PRIVATE_EXPONENT, buffer.data(),
                       buffer.size()};
    EXPECT_EQ(module_->functions().C_GetAttributeValue(session_->handle(),
                                                       object, &value, 1),
              CKR_ATTRIBUTE_SENSITIVE);
  }
}

TEST_F(ImportKeyTest, AlteredOrForeignWrapLeavesNothing) {
  TestKey key = MakeKey(true);
  auto wrapped = WrapForImport(import_spki_, key.pkcs8);
  ASSERT_TRUE(wrapped.ok());
  std::string altered = *wrapped;
  altered[altered.size() - 3] ^= 1;
  auto ref = store_->UnwrapKeyPairWithId("sejf-key/x", RandomBytes(kKeyIdSize),
                                         altered, key.spki);
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument)
      << ref.status();

  // Wrapped for another import key.
  TestKey other_import = MakeKey(false);
  EVP_PKEY* raw =
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072));
  EvpPkeyPtr foreign(raw);
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(raw, &der);
  const std::string foreign_spki(reinterpret_cast<char*>(der), size);
  OPENSSL_free(der);
  auto foreign_wrap = WrapForImport(foreign_spki, key.pkcs8);
  ASSERT_TRUE(foreign_wrap.ok());
  ref = store_->UnwrapKeyPairWithId("sejf-key/x", RandomBytes(kKeyIdSize),
                                    *foreign_wrap, key.spki);
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);

  // A wrapped RSA key presented with an EC certificate's key.
  auto rsa_wrap = WrapForImport(import_spki_, other_import.pkcs8);
  ASSERT_TRUE(rsa_wrap.ok());
  ref = store_->UnwrapKeyPairWithId("sejf-key/x", RandomBytes(kKeyIdSize),
                                    *rsa_wrap, key.spki);
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument)
      << ref.status();
  EXPECT_EQ(OtherKeyObjects(), 0);
}

// Two sejfd processes on one token may both make the import key on first
// use: every process then publishes the same one (the smallest CKA_ID) and
// opens what was encrypted to either.
TEST_F(ImportKeyTest, SecondImportKeyFromARaceStillDecryptsBoth) {
  ASSERT_TRUE(
      testing::RunCommand(
          absl::StrCat("pkcs11-tool --module ", testing::kSoftHsmModule,
                       " --token-label ", kToken, " --login --pin ", kUserPin,
                       " --keypairgen --key-type rsa:3072 --id 00 "
                       "--usage-decrypt --label ",
                       kImportKeyLabel))
          .ok());
  auto published = store_->ImportKeyPublicKey();
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_NE(*published, import_spki_);  // id 00 sorts first
  // Many ciphertexts to each key: tried with the other key first, about
  // half of them are, as numbers, above its modulus, which SoftHSM2 refuses
  // outright (CKR_GENERAL_ERROR) instead of failing the OAEP check.
  for (int i = 0; i < 12; ++i) {
    for (const std::string* spki : {&import_spki_, &*published}) {
      const std::string text = absl::StrCat("secret-", i);
      auto ciphertext = EncryptToImportKey(*spki, SecretFromView(text));
      ASSERT_TRUE(ciphertext.ok());
      auto plain = store_->DecryptWithImportKey(*ciphertext);
      ASSERT_TRUE(plain.ok()) << plain.status();
      EXPECT_EQ(SecretView(*plain), text);
    }
  }
}

// What a process killed while generating the import key leaves: a public
// half with its label and id but no key material yet (SoftHSM2 writes the
// object before its attributes). It is waited for (bounded), then passed
// over: a complete key of the process's own is made and published.
TEST(ImportKeyDebrisTest, AnIncompleteHalfLeftByAKilledGeneratorIsPassedOver) {
  testing::TempDir dir;
  auto token = testing::CreateTestToken(dir.path(), kToken, kUserPin);
  ASSERT_TRUE(token.ok()) << token.status();
  std::shared_ptr<Module> module = token->module;
  auto session =
      Session::Open(module, token->slot, Session::Access::kReadWrite);
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_TRUE(session->Login(CKU_USER, SecretFromView(kUserPin)).ok());
  CK_OBJECT_CLASS public_key = CKO_PUBLIC_KEY;
  CK_KEY_TYPE rsa = CKK_RSA;
  CK_BBOOL yes = CK_TRUE;
  const std::string label(kImportKeyLabel);
  char id[] = {0};
  CK_ATTRIBUTE debris[] = {
      {CKA_CLASS, &public_key, sizeof(public_key)},
      {CKA_KEY_TYPE, &rsa, sizeof(rsa)},
      {CKA_TOKEN, &yes, sizeof(yes)},
      {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
      {CKA_ID, id, sizeof(id)},
      {CKA_MODULUS, nullptr, 0},
      {CKA_PUBLIC_EXPONENT, nullptr, 0}};
  CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
  ASSERT_EQ(module->functions().C_CreateObject(session->handle(), debris,
                                               std::size(debris), &object),
            CKR_OK);
  auto store = Pkcs11KeyStore::Create(*std::move(token));
  ASSERT_TRUE(store.ok()) << store.status();

  auto published = (*store)->ImportKeyPublicKey();
  ASSERT_TRUE(published.ok()) << published.status();
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(published->data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, published->size()));
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 3072);
  auto again = (*store)->ImportKeyPublicKey();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *published);
  auto ciphertext = EncryptToImportKey(*published, SecretFromView("opened"));
  ASSERT_TRUE(ciphertext.ok());
  auto plain = (*store)->DecryptWithImportKey(*ciphertext);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(SecretView(*plain), "opened");
}

}  // namespace
}  // namespace sejf::hsm::pkcs11
