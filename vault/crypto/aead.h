// vault::Aead: authenticated encryption with associated data (after Tink's
// crypto::tink::Aead). Encrypt binds the ciphertext to `associated_data`;
// Decrypt returns the plaintext only when the ciphertext is unaltered and
// the same associated data is given.
//
// Implementations: XChaCha20Poly1305Aead (xchacha20_poly1305_aead.h), one
// per data key of the Keyring (keyring.h).
//
// Thread-safety: implementations are immutable after construction and
// thread-safe.
#ifndef SEJF_VAULT_CRYPTO_AEAD_H_
#define SEJF_VAULT_CRYPTO_AEAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret.h"

namespace sejf::vault {

class Aead {
 public:
  virtual ~Aead() = default;

  // The ciphertext (the implementation's header documents its layout).
  // `plaintext` may be a view of a SecretBytes (SecretView); nothing of it is
  // kept. Errors: INTERNAL only.
  virtual absl::StatusOr<std::string> Encrypt(
      absl::string_view plaintext, absl::string_view associated_data) const = 0;

  // The plaintext, in zeroing memory. DATA_LOSS when `ciphertext` is too
  // short, was altered, was made under another key, or `associated_data`
  // differs from what Encrypt was given; never a wrong plaintext.
  virtual absl::StatusOr<SecretBytes> Decrypt(
      absl::string_view ciphertext,
      absl::string_view associated_data) const = 0;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_CRYPTO_AEAD_H_
