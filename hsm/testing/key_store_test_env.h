// Key stores set up for tests: a PKCS#11 store on a throwaway SoftHSM2
// token, or the in-memory fake, behind one small interface, so one test
// suite can run against each (key_store_contract_test.cc).
//
// Test-only code. Thread-safety: an environment is created and destroyed by
// one thread; its store() is as thread-safe as the store.
#ifndef SEJF_HSM_TESTING_KEY_STORE_TEST_ENV_H_
#define SEJF_HSM_TESTING_KEY_STORE_TEST_ENV_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "hsm/key_store.h"
#include "hsm/pkcs11/pkcs11_key_store.h"

namespace sejf::hsm::testing {

class KeyStoreTestEnv {
 public:
  virtual ~KeyStoreTestEnv() = default;
  virtual KeyStore& store() = 0;
  // The token label the store's URIs name.
  virtual std::string token_label() const = 0;
};

// A fresh SoftHSM2 token (label "contract") in its own temporary directory,
// the module loaded, and a Pkcs11KeyStore on it with `options`.
absl::StatusOr<std::unique_ptr<KeyStoreTestEnv>> MakePkcs11TestEnv(
    pkcs11::Pkcs11KeyStoreOptions options = {});

// A FakeKeyStore with token label "fake".
std::unique_ptr<KeyStoreTestEnv> MakeFakeTestEnv();

}  // namespace sejf::hsm::testing

#endif  // SEJF_HSM_TESTING_KEY_STORE_TEST_ENV_H_
