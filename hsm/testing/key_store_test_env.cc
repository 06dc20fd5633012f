#include "hsm/testing/key_store_test_env.h"

#include <utility>

#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm::testing {
namespace {

constexpr char kTokenLabel[] = "contract";
constexpr char kUserPin[] = "user-pin-4711";

class Pkcs11TestEnv : public KeyStoreTestEnv {
 public:
  absl::Status Init(pkcs11::Pkcs11KeyStoreOptions options) {
    absl::StatusOr<OpenedToken> token =
        CreateTestToken(dir_.path(), kTokenLabel, kUserPin);
    if (!token.ok()) return token.status();
    absl::StatusOr<std::unique_ptr<pkcs11::Pkcs11KeyStore>> store =
        pkcs11::Pkcs11KeyStore::Create(*std::move(token), std::move(options));
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    return absl::OkStatus();
  }

  KeyStore& store() override { return *store_; }
  std::string token_label() const override { return kTokenLabel; }

 private:
  TempDir dir_;  // destroyed last: the token store lives in it
  std::unique_ptr<pkcs11::Pkcs11KeyStore> store_;
};

class FakeTestEnv : public KeyStoreTestEnv {
 public:
  KeyStore& store() override { return store_; }
  std::string token_label() const override { return "fake"; }

 private:
  FakeKeyStore store_{"fake"};
};

}  // namespace

absl::StatusOr<std::unique_ptr<KeyStoreTestEnv>> MakePkcs11TestEnv(
    pkcs11::Pkcs11KeyStoreOptions options) {
  auto env = std::make_unique<Pkcs11TestEnv>();
  if (absl::Status s = env->Init(std::move(options)); !s.ok()) return s;
  return env;
}

std::unique_ptr<KeyStoreTestEnv> MakeFakeTestEnv() {
  return std::make_unique<FakeTestEnv>();
}

}  // namespace sejf::hsm::testing
