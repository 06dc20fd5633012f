// What the drop-off page needs of sejfd's import key (issue 15; the key and
// its formats: common/import_wrap.h, hsm::KeyStore::ImportKeyPublicKey and
// DecryptWithImportKey): its public half to show and encrypt to, and the
// decryption of what the browser sent, inside the HSM.
//
// A port, so the portal's unit tests run over an in-memory RSA key and
// sejfd binds it to its key store (KeyStoreImportKey below). The
// fingerprint shown is common/import_wrap.h's ImportKeyFingerprint.
//
// Thread-safety: implementations are thread-safe.
#ifndef SEJF_SERVER_DROPOFF_DROPOFF_IMPORT_KEY_H_
#define SEJF_SERVER_DROPOFF_DROPOFF_IMPORT_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret.h"
#include "hsm/key_store.h"

namespace sejf::server {

class DropoffImportKey {
 public:
  virtual ~DropoffImportKey() = default;
  // DER SubjectPublicKeyInfo of the RSA-3072 import key. UNAVAILABLE.
  virtual absl::StatusOr<std::string> PublicKey() = 0;
  // The plaintext of an RSA-OAEP-SHA256 ciphertext to it. INVALID_ARGUMENT
  // when it does not decrypt; UNAVAILABLE.
  virtual absl::StatusOr<SecretBytes> Decrypt(absl::string_view ciphertext) = 0;
};

// The import key of sejfd's key store (hsm::KeyStore::ImportKeyPublicKey,
// DecryptWithImportKey: created on first use, decrypting in the HSM).
// `keys` must outlive it.
class KeyStoreImportKey final : public DropoffImportKey {
 public:
  explicit KeyStoreImportKey(hsm::KeyStore* keys) : keys_(keys) {}
  absl::StatusOr<std::string> PublicKey() override {
    return keys_->ImportKeyPublicKey();
  }
  absl::StatusOr<SecretBytes> Decrypt(absl::string_view ciphertext) override {
    return keys_->DecryptWithImportKey(ciphertext);
  }

 private:
  hsm::KeyStore* const keys_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_DROPOFF_DROPOFF_IMPORT_KEY_H_
