// An in-memory KeyStore for unit tests: OpenSSL keys in a map, the same
// contract as the PKCS#11 store (key_store.h; the contract suite runs
// against both).
//
//   testing::FakeKeyStore store;
//   ASSIGN_OR_RETURN(KeyRef key, store.GenerateKeyPair("k", kEcP256));
//
// Keys and the KEKs live only as long as the object. The default KEK is 32
// random bytes created by the first WrapKey, further ones by CreateKek;
// wrapping is RFC 5649 with OpenSSL's EVP_aes_256_wrap_pad, byte-compatible
// with CKM_AES_KEY_WRAP_PAD. URIs name the token label given to the
// constructor.
//
// Test-only code: private keys sit in ordinary memory.
// Thread-safety: thread-safe.
#ifndef SEJF_HSM_TESTING_FAKE_KEY_STORE_H_
#define SEJF_HSM_TESTING_FAKE_KEY_STORE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/openssl_ptr.h"
#include "common/secret.h"
#include "hsm/key_store.h"

namespace sejf::hsm::testing {

// The label of the fake's default KEK (as the PKCS#11 store's default).
inline constexpr char kFakeDefaultKekLabel[] = "sejf-kek-v1";

class FakeKeyStore : public KeyStore {
 public:
  explicit FakeKeyStore(std::string token_label = "fake");

  absl::StatusOr<KeyRef> GenerateKeyPair(absl::string_view label,
                                         KeyAlgorithm algorithm) override;
  absl::StatusOr<KeyRef> FindKeyById(absl::string_view id) override;
  absl::StatusOr<KeyRef> FindKeyByLabel(absl::string_view label) override;
  absl::StatusOr<std::string> PublicKey(const KeyRef& key) override;
  absl::StatusOr<std::string> Sign(const KeyRef& key, SignatureScheme scheme,
                                   absl::string_view data) override;
  absl::Status Destroy(const KeyRef& key) override;
  absl::StatusOr<std::string> WrapKey(const SecretBytes& data_key) override;
  absl::StatusOr<SecretBytes> UnwrapKey(absl::string_view wrapped) override;
  std::string DefaultKekLabel() const override;
  std::string KekUri(absl::string_view kek_label) const override;
  absl::Status CreateKek(absl::string_view kek_label) override;
  absl::StatusOr<std::string> WrapKeyWith(absl::string_view kek_label,
                                          const SecretBytes& data_key) override;
  absl::StatusOr<SecretBytes> UnwrapKeyWith(absl::string_view kek_label,
                                            absl::string_view wrapped) override;
  absl::StatusOr<std::optional<std::string>> ReadDataObject(
      absl::string_view label) override;
  absl::Status WriteDataObject(absl::string_view label,
                               absl::string_view value) override;
  absl::StatusOr<std::vector<KeyObject>> ListKeyObjects() override;
  // The import key (RSA-3072 made on first use, in memory).
  absl::StatusOr<std::string> ImportKeyPublicKey() override;
  absl::StatusOr<SecretBytes> DecryptWithImportKey(
      absl::string_view ciphertext) override;
  absl::StatusOr<KeyRef> UnwrapKeyPairWithId(
      absl::string_view label, absl::string_view id, absl::string_view wrapped,
      absl::string_view public_key_der) override;

  // Keys and KEKs named by a caller-chosen id.
  absl::StatusOr<KeyRef> GenerateKeyPairWithId(absl::string_view label,
                                               absl::string_view id,
                                               KeyAlgorithm algorithm) override;
  absl::Status CreateKekWithId(absl::string_view kek_label,
                               absl::string_view id) override;
  absl::StatusOr<std::string> KekId(absl::string_view kek_label) override;
  absl::Status DestroyKek(absl::string_view kek_label,
                          absl::string_view id) override;

 private:
  struct Entry {
    KeyRef ref;
    std::shared_ptr<EVP_PKEY> key;  // shared so Sign runs outside the lock
  };

  // A copy of the entry for `key.id`; NOT_FOUND when there is none.
  absl::StatusOr<Entry> Lookup(const KeyRef& key);

  const std::string token_label_;
  absl::Mutex mu_;
  std::map<std::string, Entry> keys_ ABSL_GUARDED_BY(mu_);  // by id
  // A copy of the KEK labelled `kek_label`; FAILED_PRECONDITION if none.
  absl::StatusOr<SecretBytes> Kek(absl::string_view kek_label);

  struct StoredKek {
    SecretBytes key;
    std::string id;  // as CKA_ID
  };
  // KEKs by label; the default one (kFakeDefaultKekLabel) is created by the
  // first WrapKey, others by CreateKek*.
  std::map<std::string, StoredKek> keks_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<EVP_PKEY> import_key_ ABSL_GUARDED_BY(mu_);
  // The import key, or FAILED_PRECONDITION when none was made.
  absl::StatusOr<std::shared_ptr<EVP_PKEY>> ImportKey();
  // Data objects by label.
  std::map<std::string, std::string, std::less<>> data_objects_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::hsm::testing

#endif  // SEJF_HSM_TESTING_FAKE_KEY_STORE_H_
