// The fault-injecting module under the real PKCS#11 key store (no daemon):
// the module forwards faithfully, each injected code reaches the store as
// UNAVAILABLE, the store heals when the fault clears (also after the module
// really logged out or closed every session), and a hung C_Sign is bounded
// by BoundedKeyStore. Signatures are checked with OpenSSL (VerifySignature).
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/bounded_key_store.h"
#include "hsm/pkcs11/key_pair_generation.h"
#include "hsm/pkcs11/module.h"
#include "hsm/pkcs11/pkcs11_key_store.h"
#include "hsm/signatures.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "fault-test";
constexpr char kUserPin[] = "1234";

class FaultPkcs11Test : public ::testing::Test {
 protected:
  void SetUp() override {
    control_ = dir_.path() + "/control";
    SetFaults("");
    ASSERT_EQ(setenv("SEJF_FAULT_PKCS11_CONTROL", control_.c_str(), 1), 0);
    stats_ = dir_.path() + "/stats";
    ASSERT_EQ(setenv("SEJF_FAULT_PKCS11_STATS", stats_.c_str(), 1), 0);
    ASSERT_TRUE(testing::UseSoftHsmStore(dir_.path()).ok());
    ASSERT_TRUE(
        testing::InitTokenWithTool(kToken, "so-pin-0815", kUserPin).ok());
    absl::StatusOr<std::shared_ptr<pkcs11::Module>> module =
        pkcs11::Module::Load(SEJF_FAULT_PKCS11_MODULE_PATH);
    ASSERT_TRUE(module.ok()) << module.status();
    absl::StatusOr<CK_SLOT_ID> slot = (*module)->FindTokenSlot(kToken);
    ASSERT_TRUE(slot.ok()) << slot.status();
    absl::StatusOr<std::unique_ptr<pkcs11::Pkcs11KeyStore>> store =
        pkcs11::Pkcs11KeyStore::Create(
            OpenedToken{.module = *std::move(module),
                        .slot = *slot,
                        .label = kToken,
                        .user_pin = SecretFromView(kUserPin)});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    absl::StatusOr<KeyRef> key =
        store_->GenerateKeyPair("signer", KeyAlgorithm::kEcP256);
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = *key;
    absl::StatusOr<std::string> spki = store_->PublicKey(key_);
    ASSERT_TRUE(spki.ok()) << spki.status();
    spki_ = *spki;
  }

  void TearDown() override {
    SetFaults("");
    store_.reset();  // the module is finalised with the store's last session
  }

  void SetFaults(const std::string& rules) {
    const std::string tmp = control_ + ".new";
    std::ofstream(tmp) << rules;
    ASSERT_EQ(std::rename(tmp.c_str(), control_.c_str()), 0);
  }

  // A signature from `keys`, checked with OpenSSL; or the error.
  absl::Status SignsCorrectly(KeyStore& keys) {
    absl::StatusOr<std::string> sig =
        keys.Sign(key_, SignatureScheme::kEcdsaSha256, "payload");
    if (!sig.ok()) return sig.status();
    return VerifySignature(spki_, SignatureScheme::kEcdsaSha256, "payload",
                           *sig);
  }

  // The module's count of injected faults since it was first loaded in
  // this process (0 before the first).
  int Injected() {
    std::ifstream in(stats_);
    std::string word;
    int count = 0;
    while (in >> word) {
      if (word == "injected") in >> count;
    }
    return count;
  }

  testing::TempDir dir_;
  std::string control_;
  std::string stats_;
  std::unique_ptr<pkcs11::Pkcs11KeyStore> store_;
  KeyRef key_;
  std::string spki_;
};

TEST_F(FaultPkcs11Test, ForwardsEveryCallWhenNoFaultIsSet) {
  EXPECT_TRUE(SignsCorrectly(*store_).ok());
  SecretBytes dek(kDataKeySize, 3);
  absl::StatusOr<std::string> wrapped = store_->WrapKey(dek);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  absl::StatusOr<SecretBytes> unwrapped = store_->UnwrapKey(*wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status();
  EXPECT_TRUE(SecretEquals(*unwrapped, dek));
  // Latency changes nothing but the time.
  SetFaults("latency C_Sign 20\n");
  EXPECT_TRUE(SignsCorrectly(*store_).ok());
}

TEST_F(FaultPkcs11Test, EachDeviceFaultIsUnavailableAndTheStoreHeals) {
  for (const char* code : {"CKR_DEVICE_ERROR", "CKR_SESSION_HANDLE_INVALID",
                           "CKR_USER_NOT_LOGGED_IN", "CKR_DEVICE_REMOVED"}) {
    SCOPED_TRACE(code);
    for (const char* scope : {"C_Sign", "all"}) {
      SCOPED_TRACE(scope);
      SetFaults(absl::StrCat("fail ", scope, " ", code, "\n"));
      absl::Status failed = SignsCorrectly(*store_);
      EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
      EXPECT_THAT(failed.message(), HasSubstr(code));
      SetFaults("");
      absl::Status healed = SignsCorrectly(*store_);
      EXPECT_TRUE(healed.ok()) << healed;
    }
  }
}

TEST_F(FaultPkcs11Test, AHungSignIsBoundedAndServesAgainWhenReleased) {
  absl::StatusOr<std::unique_ptr<BoundedKeyStore>> bounded =
      BoundedKeyStore::Create(
          store_.get(),
          {.workers = 2, .call_timeout = absl::Milliseconds(300)});
  ASSERT_TRUE(bounded.ok()) << bounded.status();
  absl::Cleanup release = [this] { SetFaults(""); };
  EXPECT_TRUE(SignsCorrectly(**bounded).ok());
  SetFaults("hang C_Sign\n");
  for (int i = 0; i < 4; ++i) {
    absl::Status hung = SignsCorrectly(**bounded);
    EXPECT_EQ(hung.code(), absl::StatusCode::kUnavailable) << hung;
  }
  EXPECT_EQ((*bounded)->pool().stuck_workers(), 2);
  // Calls that need no C_Sign are not stuck behind the hung ones forever:
  // they are refused at once while every worker is stuck.
  EXPECT_EQ((*bounded)->PublicKey(key_).status().code(),
            absl::StatusCode::kUnavailable);
  SetFaults("");
  absl::Status again;
  for (int i = 0; i < 100000; ++i) {  // until a worker is back
    again = SignsCorrectly(**bounded);
    if (again.ok()) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(again.ok()) << again;
}

// SoftHSM2 answers CKR_GENERAL_ERROR when its read of the token file meets
// another process's rewrite (replicas starting at once on one token
// directory): a generation is tried again, a bounded number of times, and
// leaves nothing behind when every attempt fails.
TEST_F(FaultPkcs11Test, AGenerationRefusedWithAGeneralErrorIsTriedAgain) {
  absl::StatusOr<std::vector<KeyObject>> before = store_->ListKeyObjects();
  ASSERT_TRUE(before.ok()) << before.status();
  // Another code is the device's answer, not a race: it ends the call. (The
  // module's count runs since it was first loaded: the delta is compared.)
  SetFaults("fail C_GenerateKeyPair CKR_DEVICE_ERROR\n");
  EXPECT_EQ(
      store_->GenerateKeyPair("second", KeyAlgorithm::kEcP256).status().code(),
      absl::StatusCode::kUnavailable);
  const int injected_before = Injected();
  SetFaults("fail C_GenerateKeyPair CKR_GENERAL_ERROR\n");
  absl::StatusOr<KeyRef> refused =
      store_->GenerateKeyPair("second", KeyAlgorithm::kEcP256);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInternal)
      << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("CKR_GENERAL_ERROR"));
  EXPECT_EQ(Injected() - injected_before, pkcs11::kGenerateAttempts);
  SetFaults("");
  absl::StatusOr<std::vector<KeyObject>> objects = store_->ListKeyObjects();
  ASSERT_TRUE(objects.ok()) << objects.status();
  EXPECT_EQ(objects->size(), before->size());
  absl::StatusOr<KeyRef> generated =
      store_->GenerateKeyPair("second", KeyAlgorithm::kEcP256);
  EXPECT_TRUE(generated.ok()) << generated.status();
}

}  // namespace
}  // namespace sejf::hsm
