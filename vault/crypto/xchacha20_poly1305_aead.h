// XChaCha20-Poly1305-IETF (libsodium crypto_aead_xchacha20poly1305_ietf_*)
// as a vault::Aead.
//
// Ciphertext layout (what Encrypt returns, what Decrypt takes):
//
//   offset  size  field
//   0       24    nonce: random (randombytes_buf) for every Encrypt; 192
//                 bits, so random nonces never repeat in practice
//   24      n     the plaintext encrypted with XChaCha20 (n = plaintext size)
//   24+n    16    the Poly1305 tag over associated data and ciphertext
//
// The 32-byte key lives in sodium_malloc memory (guard pages around it,
// mlock'ed so it is not swapped out, a canary before it), made read-only
// after it is written, and wiped by sodium_free when the object goes.
//
// Thread-safety: immutable after New; thread-safe.
#ifndef SEJF_VAULT_CRYPTO_XCHACHA20_POLY1305_AEAD_H_
#define SEJF_VAULT_CRYPTO_XCHACHA20_POLY1305_AEAD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret.h"
#include "vault/crypto/aead.h"

namespace sejf::vault {

inline constexpr std::size_t kXChaChaKeySize = 32;
inline constexpr std::size_t kXChaChaNonceSize = 24;
inline constexpr std::size_t kXChaChaTagSize = 16;

class XChaCha20Poly1305Aead final : public Aead {
 public:
  // An AEAD with a copy of `key` (kXChaChaKeySize bytes; INVALID_ARGUMENT
  // otherwise) in guarded memory. Runs InitCrypto (idempotent). INTERNAL
  // when libsodium cannot initialise or sodium_malloc fails (e.g. the
  // RLIMIT_MEMLOCK limit is reached).
  static absl::StatusOr<std::unique_ptr<XChaCha20Poly1305Aead>> New(
      const SecretBytes& key);

  ~XChaCha20Poly1305Aead() override;
  XChaCha20Poly1305Aead(const XChaCha20Poly1305Aead&) = delete;
  XChaCha20Poly1305Aead& operator=(const XChaCha20Poly1305Aead&) = delete;

  absl::StatusOr<std::string> Encrypt(
      absl::string_view plaintext,
      absl::string_view associated_data) const override;
  absl::StatusOr<SecretBytes> Decrypt(
      absl::string_view ciphertext,
      absl::string_view associated_data) const override;

 private:
  explicit XChaCha20Poly1305Aead(std::uint8_t* key) : key_(key) {}

  std::uint8_t* const key_;  // sodium_malloc'd, read-only, kXChaChaKeySize
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_CRYPTO_XCHACHA20_POLY1305_AEAD_H_
