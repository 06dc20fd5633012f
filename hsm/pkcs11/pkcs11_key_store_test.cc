// What is particular to the PKCS#11 store: the objects it leaves in the
// token (checked with our own sessions and with pkcs11-tool), keys made by
// other tools, restarts, and healing after real session and device trouble.
// The behaviour every KeyStore shares is in key_store_contract_test.cc.
#include "hsm/pkcs11/pkcs11_key_store.h"

#include <openssl/evp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/openssl_ptr.h"
#include "common/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/pkcs11/objects.h"
#include "hsm/pkcs11/session.h"
#include "hsm/signatures.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm::pkcs11 {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "keys";
constexpr char kUserPin[] = "user-pin-4711";

class Pkcs11KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto token = testing::CreateTestToken(dir_.path(), kToken, kUserPin);
    ASSERT_TRUE(token.ok()) << token.status();
    module_ = token->module;
    slot_ = token->slot;
    OpenStore(*std::move(token));
  }

  void OpenStore(OpenedToken token, Pkcs11KeyStoreOptions options = {}) {
    auto store = Pkcs11KeyStore::Create(std::move(token), std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Drops the store and the module (C_Finalize), then loads the module
  // again and opens a new store on the same token: a process restart.
  void Restart() {
    store_.reset();
    module_.reset();
    auto token = testing::OpenTestToken(kToken, kUserPin);
    ASSERT_TRUE(token.ok()) << token.status();
    module_ = token->module;
    slot_ = token->slot;
    OpenStore(*std::move(token));
  }

  // A logged-in session of the test's own, to look at the token.
  Session OwnSession() {
    auto session = Session::Open(module_, slot_, Session::Access::kReadOnly);
    EXPECT_TRUE(session.ok()) << session.status();
    EXPECT_TRUE(session->Login(CKU_USER, SecretFromView(kUserPin)).ok());
    return *std::move(session);
  }

  // Objects of `object_class` with CKA_ID `id`, seen from `session`.
  std::vector<CK_OBJECT_HANDLE> Objects(Session& session,
                                        CK_OBJECT_CLASS object_class,
                                        const std::string& id) {
    CK_ATTRIBUTE attributes[] = {
        {CKA_CLASS, &object_class, sizeof(object_class)},
        {CKA_ID, const_cast<char*>(id.data()), id.size()},
    };
    const CK_FUNCTION_LIST& f = module_->functions();
    EXPECT_EQ(f.C_FindObjectsInit(session.handle(), attributes, 2), CKR_OK);
    std::vector<CK_OBJECT_HANDLE> found(8);
    CK_ULONG count = 0;
    EXPECT_EQ(f.C_FindObjects(session.handle(), found.data(), 8, &count),
              CKR_OK);
    EXPECT_EQ(f.C_FindObjectsFinal(session.handle()), CKR_OK);
    found.resize(count);
    return found;
  }

  CK_BBOOL BoolOf(Session& session, CK_OBJECT_HANDLE object,
                  CK_ATTRIBUTE_TYPE type) {
    CK_BBOOL value = 2;
    CK_ATTRIBUTE attribute{type, &value, sizeof(value)};
    EXPECT_EQ(module_->functions().C_GetAttributeValue(session.handle(), object,
                                                       &attribute, 1),
              CKR_OK)
        << "attribute 0x" << std::hex << type;
    return value;
  }

  CK_RV ReadValue(Session& session, CK_OBJECT_HANDLE object,
                  CK_ATTRIBUTE_TYPE type) {
    std::string buffer(1024, '\0');
    CK_ATTRIBUTE attribute{type, buffer.data(), buffer.size()};
    return module_->functions().C_GetAttributeValue(session.handle(), object,
                                                    &attribute, 1);
  }

  KeyRef Generate(const std::string& label, KeyAlgorithm algorithm) {
    auto key = store_->GenerateKeyPair(label, algorithm);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? *key : KeyRef{};
  }

  // Signs and verifies; the status of whichever failed.
  absl::Status SignAndVerify(const KeyRef& key, SignatureScheme scheme) {
    auto signature = store_->Sign(key, scheme, "payload");
    if (!signature.ok()) return signature.status();
    auto spki = store_->PublicKey(key);
    if (!spki.ok()) return spki.status();
    return VerifySignature(*spki, scheme, "payload", *signature);
  }

  testing::TempDir dir_;
  std::shared_ptr<Module> module_;
  CK_SLOT_ID slot_ = 0;
  std::unique_ptr<Pkcs11KeyStore> store_;
};

TEST_F(Pkcs11KeyStoreTest, PrivateKeysAreSensitiveNeverExtractableSignOnly) {
  const KeyRef ec = Generate("ec", KeyAlgorithm::kEcP256);
  const KeyRef rsa = Generate("rsa", KeyAlgorithm::kRsa2048);
  Session session = OwnSession();
  for (const KeyRef* key : {&ec, &rsa}) {
    SCOPED_TRACE(key->label);
    auto found = Objects(session, CKO_PRIVATE_KEY, key->id);
    ASSERT_EQ(found.size(), 1u);
    const CK_OBJECT_HANDLE object = found.front();
    EXPECT_EQ(BoolOf(session, object, CKA_TOKEN), CK_TRUE);
    EXPECT_EQ(BoolOf(session, object, CKA_PRIVATE), CK_TRUE);
    EXPECT_EQ(BoolOf(session, object, CKA_SENSITIVE), CK_TRUE);
    EXPECT_EQ(BoolOf(session, object, CKA_ALWAYS_SENSITIVE), CK_TRUE);
    EXPECT_EQ(BoolOf(session, object, CKA_EXTRACTABLE), CK_FALSE);
    EXPECT_EQ(BoolOf(session, object, CKA_NEVER_EXTRACTABLE), CK_TRUE);
    EXPECT_EQ(BoolOf(session, object, CKA_SIGN), CK_TRUE);
    EXPECT_EQ(BoolOf(session, object, CKA_DERIVE), CK_FALSE);
    // The private value cannot be read.
    EXPECT_EQ(ReadValue(session, object,
                        key == &ec ? CKA_VALUE : CKA_PRIVATE_EXPONENT),
              CKR_ATTRIBUTE_SENSITIVE);
    EXPECT_EQ(Objects(session, CKO_PUBLIC_KEY, key->id).size(), 1u);
  }
  const CK_OBJECT_HANDLE rsa_private =
      Objects(session, CKO_PRIVATE_KEY, rsa.id).front();
  EXPECT_EQ(BoolOf(session, rsa_private, CKA_DECRYPT), CK_FALSE);
  EXPECT_EQ(BoolOf(session, rsa_private, CKA_UNWRAP), CK_FALSE);
}

TEST_F(Pkcs11KeyStoreTest, PkcsToolShowsPrivateKeysSensitiveNeverExtractable) {
  Generate("tool-ec", KeyAlgorithm::kEcP256);
  Generate("tool-rsa", KeyAlgorithm::kRsa2048);
  auto listing = testing::RunCommand(absl::StrCat(
      "pkcs11-tool --module ", testing::kSoftHsmModule, " --token-label ",
      kToken, " --login --pin ", kUserPin, " --list-objects"));
  ASSERT_TRUE(listing.ok()) << listing.status();
  // Each "Private Key Object" block has an "Access:" line.
  int private_keys = 0;
  bool in_private = false;
  for (absl::string_view line : absl::StrSplit(*listing, '\n')) {
    if (absl::StrContains(line, "Object;")) {
      in_private = absl::StrContains(line, "Private Key Object");
      if (in_private) ++private_keys;
    }
    if (in_private && absl::StrContains(line, "Access:")) {
      EXPECT_THAT(std::string(line), HasSubstr("sensitive"));
      EXPECT_THAT(std::string(line), HasSubstr("never extractable"));
    }
  }
  EXPECT_EQ(private_keys, 2) << *listing;
  EXPECT_THAT(*listing, HasSubstr("tool-ec"));
  EXPECT_THAT(*listing, HasSubstr("tool-rsa"));
}

TEST_F(Pkcs11KeyStoreTest, DestroyRemovesBothObjectsFromTheToken) {
  const KeyRef key = Generate("doomed", KeyAlgorithm::kRsa2048);
  ASSERT_TRUE(store_->Destroy(key).ok());
  Session session = OwnSession();
  EXPECT_TRUE(Objects(session, CKO_PRIVATE_KEY, key.id).empty());
  EXPECT_TRUE(Objects(session, CKO_PUBLIC_KEY, key.id).empty());
}

TEST_F(Pkcs11KeyStoreTest, KekIsANonExtractableAes256TokenKey) {
  ASSERT_TRUE(store_->WrapKey(SecretFromView(RandomBytes(32))).ok());
  Session session = OwnSession();
  CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
  const std::string label = kDefaultKekLabel;
  CK_ATTRIBUTE attributes[] = {
      {CKA_CLASS, &secret, sizeof(secret)},
      {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
  };
  const CK_FUNCTION_LIST& f = module_->functions();
  ASSERT_EQ(f.C_FindObjectsInit(session.handle(), attributes, 2), CKR_OK);
  CK_OBJECT_HANDLE found[4];
  CK_ULONG count = 0;
  ASSERT_EQ(f.C_FindObjects(session.handle(), found, 4, &count), CKR_OK);
  ASSERT_EQ(f.C_FindObjectsFinal(session.handle()), CKR_OK);
  ASSERT_EQ(count, 1u);
  const CK_OBJECT_HANDLE kek = found[0];
  EXPECT_EQ(BoolOf(session, kek, CKA_TOKEN), CK_TRUE);
  EXPECT_EQ(BoolOf(session, kek, CKA_SENSITIVE), CK_TRUE);
  EXPECT_EQ(BoolOf(session, kek, CKA_EXTRACTABLE), CK_FALSE);
  EXPECT_EQ(BoolOf(session, kek, CKA_NEVER_EXTRACTABLE), CK_TRUE);
  EXPECT_EQ(BoolOf(session, kek, CKA_WRAP), CK_TRUE);
  EXPECT_EQ(BoolOf(session, kek, CKA_UNWRAP), CK_TRUE);
  EXPECT_EQ(BoolOf(session, kek, CKA_ENCRYPT), CK_FALSE);
  CK_KEY_TYPE type = 0;
  CK_ULONG size = 0;
  CK_ATTRIBUTE info[] = {{CKA_KEY_TYPE, &type, sizeof(type)},
                         {CKA_VALUE_LEN, &size, sizeof(size)}};
  ASSERT_EQ(f.C_GetAttributeValue(session.handle(), kek, info, 2), CKR_OK);
  EXPECT_EQ(type, static_cast<CK_KEY_TYPE>(CKK_AES));
  EXPECT_EQ(size, 32u);
  EXPECT_EQ(ReadValue(session, kek, CKA_VALUE), CKR_ATTRIBUTE_SENSITIVE);
  // Wrapping more keys reuses it: still exactly one.
  ASSERT_TRUE(store_->WrapKey(SecretFromView(RandomBytes(32))).ok());
  ASSERT_EQ(f.C_FindObjectsInit(session.handle(), attributes, 2), CKR_OK);
  ASSERT_EQ(f.C_FindObjects(session.handle(), found, 4, &count), CKR_OK);
  ASSERT_EQ(f.C_FindObjectsFinal(session.handle()), CKR_OK);
  EXPECT_EQ(count, 1u);
}

TEST_F(Pkcs11KeyStoreTest, TamperedWrappedKeyNamesTheKekNotTheKey) {
  const SecretBytes data_key = SecretFromView(RandomBytes(32));
  auto wrapped = store_->WrapKey(data_key);
  ASSERT_TRUE(wrapped.ok());
  std::string tampered = *wrapped;
  tampered[20] ^= 0x40;
  auto result = store_->UnwrapKey(tampered);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(result.status().message(), HasSubstr(kDefaultKekLabel));
  EXPECT_THAT(result.status().message(), HasSubstr("C_UnwrapKey"));
}

// The wrapped bytes are plain RFC 5649: with a KEK whose value the test
// knows (planted under the KEK label before the store's first wrap), they
// equal what OpenSSL's AES-256 key wrap with padding makes.
TEST_F(Pkcs11KeyStoreTest, WrappedFormatIsRfc5649AsOpenSslMakesIt) {
  const std::string kek_value = RandomBytes(32);
  {
    auto session = Session::Open(module_, slot_, Session::Access::kReadWrite);
    ASSERT_TRUE(session.ok());
    ASSERT_TRUE(session->Login(CKU_USER, SecretFromView(kUserPin)).ok());
    CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
    CK_KEY_TYPE aes = CKK_AES;
    CK_BBOOL yes = CK_TRUE;
    const std::string label = kDefaultKekLabel;
    CK_ATTRIBUTE attributes[] = {
        {CKA_CLASS, &secret, sizeof(secret)},
        {CKA_KEY_TYPE, &aes, sizeof(aes)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_WRAP, &yes, sizeof(yes)},
        {CKA_UNWRAP, &yes, sizeof(yes)},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
        {CKA_VALUE, const_cast<char*>(kek_value.data()), kek_value.size()},
    };
    CK_OBJECT_HANDLE kek;
    ASSERT_EQ(module_->functions().C_CreateObject(session->handle(), attributes,
                                                  8, &kek),
              CKR_OK);
  }
  const std::string data_key = RandomBytes(32);
  auto wrapped = store_->WrapKey(SecretFromView(data_key));
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();

  OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free> ctx(EVP_CIPHER_CTX_new());
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  ASSERT_EQ(
      EVP_EncryptInit_ex(
          ctx.get(), EVP_aes_256_wrap_pad(), nullptr,
          reinterpret_cast<const unsigned char*>(kek_value.data()), nullptr),
      1);
  unsigned char out[64];
  int size = 0;
  int final_size = 0;
  ASSERT_EQ(EVP_EncryptUpdate(
                ctx.get(), out, &size,
                reinterpret_cast<const unsigned char*>(data_key.data()), 32),
            1);
  ASSERT_EQ(EVP_EncryptFinal_ex(ctx.get(), out + size, &final_size), 1);
  EXPECT_EQ(*wrapped,
            std::string(reinterpret_cast<char*>(out), size + final_size));
}

TEST_F(Pkcs11KeyStoreTest, KeysAndKekSurviveARestart) {
  const KeyRef key = Generate("lasting", KeyAlgorithm::kEcP256);
  auto spki = store_->PublicKey(key);
  ASSERT_TRUE(spki.ok());
  const SecretBytes data_key = SecretFromView(RandomBytes(32));
  auto wrapped = store_->WrapKey(data_key);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();

  Restart();

  auto unwrapped = store_->UnwrapKey(*wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status();
  EXPECT_TRUE(SecretEquals(*unwrapped, data_key));
  auto found = store_->FindKeyByLabel("lasting");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, key);
  EXPECT_EQ(*store_->PublicKey(*found), *spki);
  // The old ref works as it is, too (the id is what counts).
  EXPECT_TRUE(SignAndVerify(key, SignatureScheme::kEcdsaSha256).ok());
}

TEST_F(Pkcs11KeyStoreTest, FindsKeysMadeByPkcs11ToolAndRefusesOddOnes) {
  const std::string tool = absl::StrCat(
      "pkcs11-tool --module ", testing::kSoftHsmModule, " --token-label ",
      kToken, " --login --pin ", kUserPin, " --keypairgen ");
  ASSERT_TRUE(testing::RunCommand(tool + "--key-type EC:prime256v1 "
                                         "--id 0a0b --label external-ec")
                  .ok());
  ASSERT_TRUE(testing::RunCommand(tool + "--key-type EC:secp384r1 "
                                         "--id 0c0d --label external-p384")
                  .ok());
  auto found = store_->FindKeyByLabel("external-ec");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id, std::string("\x0a\x0b", 2));
  EXPECT_EQ(found->algorithm, KeyAlgorithm::kEcP256);
  EXPECT_TRUE(SignAndVerify(*found, SignatureScheme::kEcdsaSha256).ok());
  auto p384 = store_->FindKeyByLabel("external-p384");
  EXPECT_EQ(p384.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(p384.status().message(), HasSubstr("P-256"));
}

TEST_F(Pkcs11KeyStoreTest, RecoversWhenAllSessionsAreClosedBehindItsBack) {
  const KeyRef key = Generate("k", KeyAlgorithm::kEcP256);
  ASSERT_TRUE(SignAndVerify(key, SignatureScheme::kEcdsaSha256).ok());
  const std::uint64_t epoch = store_->pool().epoch();
  // Every session of the process goes, and with the last one the login.
  ASSERT_EQ(module_->functions().C_CloseAllSessions(slot_), CKR_OK);
  EXPECT_TRUE(SignAndVerify(key, SignatureScheme::kEcdsaSha256).ok());
  EXPECT_GT(store_->pool().epoch(), epoch);
  // And everything else works too.
  EXPECT_TRUE(store_->FindKeyByLabel("k").ok());
  EXPECT_TRUE(store_->WrapKey(SecretFromView(RandomBytes(32))).ok());
  ASSERT_EQ(module_->functions().C_CloseAllSessions(slot_), CKR_OK);
  EXPECT_TRUE(store_->GenerateKeyPair("after", KeyAlgorithm::kEcP256).ok());
}

TEST_F(Pkcs11KeyStoreTest, RecoversWhenLoggedOutBehindItsBack) {
  const KeyRef key = Generate("k", KeyAlgorithm::kRsa2048);
  ASSERT_TRUE(SignAndVerify(key, SignatureScheme::kRsaPssSha256).ok());
  auto wrapped = store_->WrapKey(SecretFromView(RandomBytes(32)));
  ASSERT_TRUE(wrapped.ok());
  {
    Session session = OwnSession();
    ASSERT_TRUE(session.Logout().ok());  // logs the whole process out
  }
  EXPECT_TRUE(SignAndVerify(key, SignatureScheme::kRsaPssSha256).ok());
  {
    Session session = OwnSession();
    ASSERT_TRUE(session.Logout().ok());
  }
  EXPECT_TRUE(store_->UnwrapKey(*wrapped).ok());
}

TEST_F(Pkcs11KeyStoreTest, AnswersUnavailableWhileTheModuleIsGoneAndHeals) {
  const KeyRef key = Generate("k", KeyAlgorithm::kEcP256);
  auto wrapped = store_->WrapKey(SecretFromView(RandomBytes(32)));
  ASSERT_TRUE(wrapped.ok());
  const CK_FUNCTION_LIST& f = module_->functions();
  // The "device" goes away: every call now gets
  // CKR_CRYPTOKI_NOT_INITIALIZED, for as long as it stays away.
  ASSERT_EQ(f.C_Finalize(nullptr), CKR_OK);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(
        store_->Sign(key, SignatureScheme::kEcdsaSha256, "x").status().code(),
        absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(store_->FindKeyByLabel("k").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->UnwrapKey(*wrapped).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(
      store_->GenerateKeyPair("no", KeyAlgorithm::kEcP256).status().code(),
      absl::StatusCode::kUnavailable);
  // It comes back; the store heals without a restart.
  CK_C_INITIALIZE_ARGS args = {};
  args.flags = CKF_OS_LOCKING_OK;
  ASSERT_EQ(f.C_Initialize(&args), CKR_OK);
  EXPECT_TRUE(SignAndVerify(key, SignatureScheme::kEcdsaSha256).ok());
  EXPECT_TRUE(store_->UnwrapKey(*wrapped).ok());
}

TEST_F(Pkcs11KeyStoreTest, ThreadsShareABoundedPool) {
  Pkcs11KeyStoreOptions options;
  options.pool.max_sessions = 2;
  store_.reset();
  OpenStore(OpenedToken{.module = module_,
                        .slot = slot_,
                        .label = kToken,
                        .user_pin = SecretFromView(kUserPin)},
            options);
  const KeyRef key = Generate("k", KeyAlgorithm::kEcP256);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!store_->Sign(key, SignatureScheme::kEcdsaSha256, "x").ok()) {
          ++errors;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_LE(store_->pool().peak_open_sessions(), 2);
  EXPECT_GE(store_->pool().peak_open_sessions(), 1);
}

TEST_F(Pkcs11KeyStoreTest, BadOptionsAreInvalidArgument) {
  Pkcs11KeyStoreOptions options;
  options.kek_label = "";
  auto store =
      Pkcs11KeyStore::Create(OpenedToken{.module = module_,
                                         .slot = slot_,
                                         .label = kToken,
                                         .user_pin = SecretFromView(kUserPin)},
                             options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.pool.max_sessions = 0;
  store =
      Pkcs11KeyStore::Create(OpenedToken{.module = module_,
                                         .slot = slot_,
                                         .label = kToken,
                                         .user_pin = SecretFromView(kUserPin)},
                             options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(Pkcs11KeyStoreTest, WrongPinIsPermissionDeniedWithoutThePin) {
  store_.reset();  // its sessions would keep the token logged in
  auto store = Pkcs11KeyStore::Create(
      OpenedToken{.module = module_,
                  .slot = slot_,
                  .label = kToken,
                  .user_pin = SecretFromView("wrong-pin-1234")});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(store.status().message(), HasSubstr(kToken));
  EXPECT_THAT(std::string(store.status().message()),
              ::testing::Not(HasSubstr("wrong-pin-1234")));
}

}  // namespace
}  // namespace sejf::hsm::pkcs11
