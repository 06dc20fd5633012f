// FakeKeyStore's import key: as the PKCS#11 store's, in memory with OpenSSL.
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/import_wrap.h"
#include "common/openssl_error.h"
#include "common/status_macros.h"
#include "hsm/pkcs11_uri.h"
#include "hsm/testing/fake_key_store.h"

namespace sejf::hsm::testing {
namespace {

constexpr absl::string_view kNotDecrypted =
    "the ciphertext does not decrypt under the import key";

using CipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

absl::StatusOr<SecretBytes> OaepDecrypt(EVP_PKEY* key,
                                        absl::string_view ciphertext) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (ctx == nullptr || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1) {
    return OpenSslInternal("setting up RSA-OAEP-SHA256");
  }
  SecretBytes out(kImportKeyModulusSize);
  std::size_t size = out.size();
  if (ciphertext.size() != kImportKeyModulusSize ||
      EVP_PKEY_decrypt(
          ctx.get(), out.data(), &size,
          reinterpret_cast<const unsigned char*>(ciphertext.data()),
          ciphertext.size()) != 1) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(kNotDecrypted);
  }
  out.resize(size);
  return out;
}

}  // namespace

absl::StatusOr<std::string> FakeKeyStore::ImportKeyPublicKey() {
  std::shared_ptr<EVP_PKEY> key;
  {
    absl::MutexLock lock(&mu_);
    if (import_key_ == nullptr) {
      EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                        static_cast<size_t>(kImportKeyBits));
      if (raw == nullptr) return OpenSslInternal("EVP_PKEY_Q_keygen");
      import_key_.reset(raw, EVP_PKEY_free);
    }
    key = import_key_;
  }
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key.get(), &der);
  if (size <= 0) return OpenSslInternal("i2d_PUBKEY");
  std::string out(reinterpret_cast<const char*>(der), size);
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> FakeKeyStore::ImportKey() {
  absl::MutexLock lock(&mu_);
  if (import_key_ == nullptr) {
    return absl::FailedPreconditionError("no import key in the store");
  }
  return import_key_;
}

absl::StatusOr<SecretBytes> FakeKeyStore::DecryptWithImportKey(
    absl::string_view ciphertext) {
  ASSIGN_OR_RETURN(std::shared_ptr<EVP_PKEY> key, ImportKey());
  return OaepDecrypt(key.get(), ciphertext);
}

absl::StatusOr<KeyRef> FakeKeyStore::UnwrapKeyPairWithId(
    absl::string_view label, absl::string_view id, absl::string_view wrapped,
    absl::string_view public_key_der) {
  RETURN_IF_ERROR(ValidateKeyLabel(label));
  RETURN_IF_ERROR(ValidateKeyId(id));
  ASSIGN_OR_RETURN(std::shared_ptr<EVP_PKEY> import_key, ImportKey());
  if (wrapped.size() <= kImportKeyModulusSize + 8) {
    return absl::InvalidArgumentError("the wrapped key is too short");
  }
  ASSIGN_OR_RETURN(
      SecretBytes aes_key,
      OaepDecrypt(import_key.get(), wrapped.substr(0, kImportKeyModulusSize)));
  const absl::string_view kwp = wrapped.substr(kImportKeyModulusSize);
  SecretBytes pkcs8(kwp.size());
  int size = 0;
  int final_size = 0;
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (aes_key.size() != kImportWrapAesKeySize || ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_wrap_pad(), nullptr,
                         aes_key.data(), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), pkcs8.data(), &size,
                        reinterpret_cast<const unsigned char*>(kwp.data()),
                        static_cast<int>(kwp.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), pkcs8.data() + size, &final_size) != 1) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        "the wrapped private key does not unwrap");
  }
  pkcs8.resize(static_cast<std::size_t>(size + final_size));
  const unsigned char* p = pkcs8.data();
  EVP_PKEY* raw =
      d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pkcs8.size()));
  if (raw == nullptr) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        "the wrapped private key is not a PKCS#8 private key");
  }
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  KeyAlgorithm algorithm;
  if (EVP_PKEY_get_base_id(raw) == EVP_PKEY_EC &&
      EVP_PKEY_get_bits(raw) == 256) {
    algorithm = KeyAlgorithm::kEcP256;
  } else if (EVP_PKEY_get_base_id(raw) == EVP_PKEY_RSA &&
             EVP_PKEY_get_bits(raw) == 2048) {
    algorithm = KeyAlgorithm::kRsa2048;
  } else {
    return absl::InvalidArgumentError(
        "only EC P-256 and RSA-2048 keys can be imported");
  }
  (void)public_key_der;  // the fake signs with the unwrapped key itself
  KeyRef ref{.id = std::string(id),
             .label = std::string(label),
             .algorithm = algorithm,
             .uri = FormatPkcs11Uri(token_label_, label, id)};
  absl::MutexLock lock(&mu_);
  for (const auto& [unused, entry] : keys_) {
    if (entry.ref.label == label) {
      return absl::AlreadyExistsError(
          absl::StrCat("a key labelled \"", label, "\" exists"));
    }
  }
  if (keys_.contains(ref.id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("a key with id ", absl::BytesToHexString(id), " exists"));
  }
  keys_[ref.id] = Entry{ref, std::move(key)};
  return ref;
}

}  // namespace sejf::hsm::testing
