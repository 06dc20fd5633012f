#include "hsm/testing/faulty_key_store.h"

#include <memory>
#include <string>

#include "common/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/pkcs11/pkcs11_key_store.h"
#include "hsm/signatures.h"
#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm::testing {
namespace {

using Operation = FaultyKeyStore::Operation;
using ::testing::HasSubstr;

absl::Status SignAndVerify(KeyStore& store, const KeyRef& key) {
  auto signature = store.Sign(key, SignatureScheme::kEcdsaSha256, "payload");
  if (!signature.ok()) return signature.status();
  auto spki = store.PublicKey(key);
  if (!spki.ok()) return spki.status();
  return VerifySignature(*spki, SignatureScheme::kEcdsaSha256, "payload",
                         *signature);
}

TEST(FaultyKeyStoreTest, FailsTheNextSignsWithUnavailableThenWorks) {
  testing::FakeKeyStore fake;
  FaultyKeyStore faulty(&fake);
  auto key = faulty.GenerateKeyPair("k", KeyAlgorithm::kEcP256);
  ASSERT_TRUE(key.ok());
  faulty.FailNext(Operation::kSign, 3);
  for (int i = 0; i < 3; ++i) {
    auto signature = faulty.Sign(*key, SignatureScheme::kEcdsaSha256, "x");
    EXPECT_EQ(signature.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(signature.status().message(), HasSubstr("injected"));
  }
  EXPECT_TRUE(SignAndVerify(faulty, *key).ok());
  EXPECT_EQ(faulty.injected_failures(), 3);
  // Other operations were never affected.
  EXPECT_TRUE(faulty.FindKeyByLabel("k").ok());
}

TEST(FaultyKeyStoreTest, InjectedFailureNeverReachesTheTarget) {
  testing::FakeKeyStore fake;
  FaultyKeyStore faulty(&fake);
  faulty.FailNext(Operation::kGenerateKeyPair, 1,
                  absl::ResourceExhaustedError("token full"));
  auto key = faulty.GenerateKeyPair("k", KeyAlgorithm::kEcP256);
  EXPECT_EQ(key.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(fake.FindKeyByLabel("k").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(faulty.GenerateKeyPair("k", KeyAlgorithm::kEcP256).ok());
}

TEST(FaultyKeyStoreTest, EveryOperationCanFail) {
  testing::FakeKeyStore fake;
  FaultyKeyStore faulty(&fake);
  auto key = faulty.GenerateKeyPair("k", KeyAlgorithm::kEcP256);
  ASSERT_TRUE(key.ok());
  auto wrapped = faulty.WrapKey(SecretFromView(RandomBytes(32)));
  ASSERT_TRUE(wrapped.ok());
  for (Operation op :
       {Operation::kGenerateKeyPair, Operation::kFindKey, Operation::kPublicKey,
        Operation::kSign, Operation::kDestroy, Operation::kWrapKey,
        Operation::kUnwrapKey}) {
    faulty.FailNext(op, 1);
  }
  constexpr auto kUnavailable = absl::StatusCode::kUnavailable;
  EXPECT_EQ(faulty.GenerateKeyPair("j", KeyAlgorithm::kEcP256).status().code(),
            kUnavailable);
  EXPECT_EQ(faulty.FindKeyById(key->id).status().code(), kUnavailable);
  EXPECT_TRUE(faulty.FindKeyByLabel("k").ok());  // one fault per operation
  EXPECT_EQ(faulty.PublicKey(*key).status().code(), kUnavailable);
  EXPECT_EQ(
      faulty.Sign(*key, SignatureScheme::kEcdsaSha256, "x").status().code(),
      kUnavailable);
  EXPECT_EQ(faulty.Destroy(*key).code(), kUnavailable);
  EXPECT_EQ(faulty.WrapKey(SecretFromView(RandomBytes(32))).status().code(),
            kUnavailable);
  EXPECT_EQ(faulty.UnwrapKey(*wrapped).status().code(), kUnavailable);
  EXPECT_EQ(faulty.injected_failures(), 7);
  EXPECT_TRUE(SignAndVerify(faulty, *key).ok());
  EXPECT_TRUE(faulty.UnwrapKey(*wrapped).ok());
}

TEST(FaultyKeyStoreTest, IdOperationsCanFail) {
  testing::FakeKeyStore fake;
  FaultyKeyStore faulty(&fake);
  const std::string id = RandomBytes(kKeyIdSize);
  for (Operation op : {Operation::kGenerateKeyPair, Operation::kCreateKek,
                       Operation::kDestroyKek}) {
    faulty.FailNext(op, 1);
  }
  constexpr auto kUnavailable = absl::StatusCode::kUnavailable;
  EXPECT_EQ(faulty.GenerateKeyPairWithId("k", id, KeyAlgorithm::kEcP256)
                .status()
                .code(),
            kUnavailable);
  EXPECT_EQ(fake.FindKeyById(id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(faulty.CreateKekWithId("kek", id).code(), kUnavailable);
  ASSERT_TRUE(faulty.CreateKekWithId("kek", id).ok());
  EXPECT_EQ(faulty.DestroyKek("kek", id).code(), kUnavailable);
  EXPECT_TRUE(fake.KekId("kek").ok()) << "the fault never reached the target";
  EXPECT_TRUE(faulty.DestroyKek("kek", id).ok());
  EXPECT_EQ(faulty.injected_failures(), 3);
}

TEST(FaultyKeyStoreTest, ClearDropsPendingFaults) {
  testing::FakeKeyStore fake;
  FaultyKeyStore faulty(&fake);
  auto key = faulty.GenerateKeyPair("k", KeyAlgorithm::kEcP256);
  ASSERT_TRUE(key.ok());
  bool ran = false;
  faulty.FailNext(Operation::kSign, 5);
  faulty.RunBeforeNext(Operation::kSign, [&] { ran = true; });
  faulty.Clear();
  EXPECT_TRUE(SignAndVerify(faulty, *key).ok());
  EXPECT_FALSE(ran);
  EXPECT_EQ(faulty.injected_failures(), 0);
}

// Over the real PKCS#11 store: injected UNAVAILABLE surfaces unchanged, and
// a real lost session (closed behind the store's back just before the call)
// is healed by the store itself.
class FaultyPkcs11KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto token = testing::CreateTestToken(dir_.path(), "faulty", "1234-pin");
    ASSERT_TRUE(token.ok()) << token.status();
    module_ = token->module;
    slot_ = token->slot;
    auto store = pkcs11::Pkcs11KeyStore::Create(*std::move(token));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    faulty_ = std::make_unique<FaultyKeyStore>(store_.get());
  }

  testing::TempDir dir_;
  std::shared_ptr<pkcs11::Module> module_;
  CK_SLOT_ID slot_ = 0;
  std::unique_ptr<pkcs11::Pkcs11KeyStore> store_;
  std::unique_ptr<FaultyKeyStore> faulty_;
};

TEST_F(FaultyPkcs11KeyStoreTest, UnavailableSurfacesAndTheStoreKeepsWorking) {
  auto key = faulty_->GenerateKeyPair("k", KeyAlgorithm::kEcP256);
  ASSERT_TRUE(key.ok()) << key.status();
  faulty_->FailNext(Operation::kSign, 2);
  EXPECT_EQ(
      faulty_->Sign(*key, SignatureScheme::kEcdsaSha256, "x").status().code(),
      absl::StatusCode::kUnavailable);
  EXPECT_EQ(
      faulty_->Sign(*key, SignatureScheme::kEcdsaSha256, "x").status().code(),
      absl::StatusCode::kUnavailable);
  EXPECT_TRUE(SignAndVerify(*faulty_, *key).ok());
}

TEST_F(FaultyPkcs11KeyStoreTest, RealLostSessionsAreHealedByTheStore) {
  auto key = faulty_->GenerateKeyPair("k", KeyAlgorithm::kEcP256);
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_TRUE(SignAndVerify(*faulty_, *key).ok());
  const std::uint64_t epoch = store_->pool().epoch();
  for (Operation op : {Operation::kSign, Operation::kWrapKey}) {
    faulty_->RunBeforeNext(op, [this] {
      ASSERT_EQ(module_->functions().C_CloseAllSessions(slot_), CKR_OK);
    });
  }
  EXPECT_TRUE(SignAndVerify(*faulty_, *key).ok());
  EXPECT_TRUE(faulty_->WrapKey(SecretFromView(RandomBytes(32))).ok());
  EXPECT_EQ(store_->pool().epoch(), epoch + 2);
  EXPECT_EQ(faulty_->injected_failures(), 0);
}

}  // namespace
}  // namespace sejf::hsm::testing
