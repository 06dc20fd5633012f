#include "common/import_wrap.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <cctype>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"

namespace sejf {
namespace {

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The import key from its SPKI: RSA with a 3072-bit modulus.
absl::StatusOr<EvpPkeyPtr> ParseImportKey(absl::string_view spki_der) {
  const unsigned char* p = Bytes(spki_der);
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (key == nullptr || p != Bytes(spki_der) + spki_der.size()) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        "the import key is not a DER SubjectPublicKeyInfo");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA ||
      EVP_PKEY_get_bits(key.get()) != kImportKeyBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("the import key must be RSA-", kImportKeyBits));
  }
  return key;
}

absl::StatusOr<std::string> OaepEncrypt(EVP_PKEY* key,
                                        const unsigned char* data,
                                        std::size_t size) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (ctx == nullptr || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1) {
    return OpenSslInternal("setting up RSA-OAEP-SHA256");
  }
  std::string out(kImportKeyModulusSize, '\0');
  std::size_t out_size = out.size();
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                       &out_size, data, size) != 1) {
    return OpenSslInternal("RSA-OAEP-SHA256 encryption");
  }
  out.resize(out_size);
  return out;
}

}  // namespace

std::string ImportKeyFingerprint(absl::string_view spki_der) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(Bytes(spki_der), spki_der.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<std::string> NormalizeImportKeyFingerprint(
    absl::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c == ':' || c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      hex.clear();
      break;
    }
    hex.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (hex.size() != 2 * SHA256_DIGEST_LENGTH) {
    return absl::InvalidArgumentError(
        "an import key fingerprint is 64 hex digits (the SHA-256 of the key, "
        "as `sejf key import-key` shows it); ':' between bytes is allowed");
  }
  return hex;
}

absl::StatusOr<std::string> EncryptToImportKey(absl::string_view spki_der,
                                               const SecretBytes& plaintext) {
  if (plaintext.empty() || plaintext.size() > kMaxImportSecretSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("a secret encrypted to the import key is 1 to ",
                     kMaxImportSecretSize, " bytes, not ", plaintext.size()));
  }
  ASSIGN_OR_RETURN(EvpPkeyPtr key, ParseImportKey(spki_der));
  return OaepEncrypt(key.get(), plaintext.data(), plaintext.size());
}

absl::StatusOr<std::string> WrapForImport(absl::string_view spki_der,
                                          const SecretBytes& pkcs8_der) {
  if (pkcs8_der.empty()) {
    return absl::InvalidArgumentError("no private key to wrap");
  }
  ASSIGN_OR_RETURN(EvpPkeyPtr key, ParseImportKey(spki_der));
  SecretBytes aes_key(kImportWrapAesKeySize);
  randombytes_buf(aes_key.data(), aes_key.size());
  ASSIGN_OR_RETURN(std::string out,
                   OaepEncrypt(key.get(), aes_key.data(), aes_key.size()));

  using CipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  // RFC 5649 output: the input padded to a multiple of 8, plus 8.
  std::string wrapped(pkcs8_der.size() + 16, '\0');
  int size = 0;
  int final_size = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_wrap_pad(), nullptr,
                         aes_key.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(
          ctx.get(), reinterpret_cast<unsigned char*>(wrapped.data()), &size,
          pkcs8_der.data(), static_cast<int>(pkcs8_der.size())) != 1 ||
      EVP_EncryptFinal_ex(
          ctx.get(), reinterpret_cast<unsigned char*>(wrapped.data()) + size,
          &final_size) != 1) {
    return OpenSslInternal("AES key wrap with padding");
  }
  wrapped.resize(static_cast<std::size_t>(size + final_size));
  out += wrapped;
  return out;
}

absl::StatusOr<SecretBytes> DecodeOaepSha256(const SecretBytes& encoded) {
  if (encoded.size() != kImportKeyModulusSize) {
    return absl::InvalidArgumentError(
        "the ciphertext does not decrypt under the import key");
  }
  SecretBytes out(kImportKeyModulusSize);
  // OpenSSL 3 deprecates the padding functions in favour of EVP_PKEY_decrypt,
  // which needs the private key in-process; here the HSM holds it and did
  // the raw RSA operation, so only the (constant-time) decoding is ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const int size = RSA_padding_check_PKCS1_OAEP_mgf1(
      out.data(), static_cast<int>(out.size()), encoded.data(),
      static_cast<int>(encoded.size()), static_cast<int>(encoded.size()),
      nullptr, 0, EVP_sha256(), EVP_sha256());
#pragma GCC diagnostic pop
  if (size < 0) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        "the ciphertext does not decrypt under the import key");
  }
  out.resize(static_cast<std::size_t>(size));
  return out;
}

}  // namespace sejf
