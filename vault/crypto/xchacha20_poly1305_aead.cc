#include "vault/crypto/xchacha20_poly1305_aead.h"

#include <sodium.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/crypto_init.h"
#include "common/status_macros.h"

namespace sejf::vault {

static_assert(kXChaChaKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kXChaChaNonceSize ==
              crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kXChaChaTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);

absl::StatusOr<std::unique_ptr<XChaCha20Poly1305Aead>>
XChaCha20Poly1305Aead::New(const SecretBytes& key) {
  if (key.size() != kXChaChaKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("an XChaCha20-Poly1305 key must be ", kXChaChaKeySize,
                     " bytes, not ", key.size()));
  }
  RETURN_IF_ERROR(InitCrypto());
  auto* guarded = static_cast<std::uint8_t*>(sodium_malloc(kXChaChaKeySize));
  if (guarded == nullptr) {
    return absl::InternalError(
        "sodium_malloc failed for a data key (is RLIMIT_MEMLOCK too low?)");
  }
  std::memcpy(guarded, key.data(), kXChaChaKeySize);
  sodium_mprotect_readonly(guarded);
  return std::unique_ptr<XChaCha20Poly1305Aead>(
      new XChaCha20Poly1305Aead(guarded));
}

XChaCha20Poly1305Aead::~XChaCha20Poly1305Aead() {
  sodium_mprotect_readwrite(key_);
  sodium_free(key_);  // wipes it
}

absl::StatusOr<std::string> XChaCha20Poly1305Aead::Encrypt(
    absl::string_view plaintext, absl::string_view associated_data) const {
  std::string out(kXChaChaNonceSize + plaintext.size() + kXChaChaTagSize, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, kXChaChaNonceSize);
  unsigned long long size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(
          nonce + kXChaChaNonceSize, &size,
          reinterpret_cast<const unsigned char*>(plaintext.data()),
          plaintext.size(),
          reinterpret_cast<const unsigned char*>(associated_data.data()),
          associated_data.size(), nullptr, nonce, key_) != 0 ||
      size != plaintext.size() + kXChaChaTagSize) {
    return absl::InternalError("XChaCha20-Poly1305 encryption failed");
  }
  return out;
}

absl::StatusOr<SecretBytes> XChaCha20Poly1305Aead::Decrypt(
    absl::string_view ciphertext, absl::string_view associated_data) const {
  if (ciphertext.size() < kXChaChaNonceSize + kXChaChaTagSize) {
    return absl::DataLossError(
        absl::StrCat("ciphertext is ", ciphertext.size(),
                     " bytes, shorter than nonce and tag (",
                     kXChaChaNonceSize + kXChaChaTagSize, ")"));
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(ciphertext.data());
  const std::size_t body = ciphertext.size() - kXChaChaNonceSize;
  SecretBytes plaintext(body - kXChaChaTagSize);
  unsigned long long size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plaintext.data(), &size, nullptr, nonce + kXChaChaNonceSize, body,
          reinterpret_cast<const unsigned char*>(associated_data.data()),
          associated_data.size(), nonce, key_) != 0) {
    return absl::DataLossError(
        "ciphertext does not authenticate: it was altered, made under another "
        "key, or belongs to another place (associated data differs)");
  }
  plaintext.resize(size);
  return plaintext;
}

}  // namespace sejf::vault
