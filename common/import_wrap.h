// The import key's wire formats (issue 15, docs/import.md): how a client
// encrypts a secret (a KSeF token) or wraps a private key for sejfd's import
// key, and how sejfd checks the result. Shared by the `sejf` CLI (which
// encrypts), sejfd's key store (which decrypts in the HSM) and tests.
//
// The import key is an RSA-3072 key pair in sejfd's HSM (label
// hsm::kImportKeyLabel); its public half is published as a DER
// SubjectPublicKeyInfo (GetImportKey), named by its fingerprint: the
// lowercase hex SHA-256 of those DER bytes (64 characters).
//
// Encrypted secret (EncryptToImportKey): RSAES-OAEP (RFC 8017 §7.1) with
// SHA-256, MGF1-SHA-256 and an empty label: exactly 384 bytes; at most
// kMaxImportSecretSize plaintext bytes.
//
// Wrapped key (WrapForImport), the PKCS#11 CKM_RSA_AES_KEY_WRAP layout:
//
//   bytes 0..383   RSAES-OAEP-SHA256 (as above) of a fresh AES-256 key K
//   bytes 384..    AES-256 key wrap with padding (RFC 5649) under K of the
//                  private key's PKCS#8 PrivateKeyInfo (DER, unencrypted)
//
// K is random per wrap and wiped after use.
//
// Thread-safety: stateless functions; safe from any thread.
#ifndef SEJF_COMMON_IMPORT_WRAP_H_
#define SEJF_COMMON_IMPORT_WRAP_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret.h"

namespace sejf {

inline constexpr int kImportKeyBits = 3072;
inline constexpr std::size_t kImportKeyModulusSize = kImportKeyBits / 8;
// 384 - 2 * 32 - 2 (RFC 8017 §7.1.1 with SHA-256).
inline constexpr std::size_t kMaxImportSecretSize = 318;
// The AES key of a wrapped key.
inline constexpr std::size_t kImportWrapAesKeySize = 32;

// The fingerprint of an import key: lowercase hex SHA-256 of `spki_der`.
std::string ImportKeyFingerprint(absl::string_view spki_der);

// A fingerprint as a person may type it (hex, upper or lower case, with or
// without ':' or spaces between bytes) in ImportKeyFingerprint's form.
// INVALID_ARGUMENT unless it is 32 bytes of hex.
absl::StatusOr<std::string> NormalizeImportKeyFingerprint(
    absl::string_view text);

// `plaintext` (1..kMaxImportSecretSize bytes) encrypted to the import key
// `spki_der` (RSA-3072 SubjectPublicKeyInfo). INVALID_ARGUMENT for another
// key or a plaintext of another size.
absl::StatusOr<std::string> EncryptToImportKey(absl::string_view spki_der,
                                               const SecretBytes& plaintext);

// `pkcs8_der` (a PrivateKeyInfo) wrapped for the import key `spki_der` in
// the layout above. INVALID_ARGUMENT for another key or an empty input.
absl::StatusOr<std::string> WrapForImport(absl::string_view spki_der,
                                          const SecretBytes& pkcs8_der);

// RFC 8017 §7.1.2 steps 3 (EME-OAEP decoding, SHA-256, MGF1-SHA-256, empty
// label) of `encoded`, the kImportKeyModulusSize-byte result of the raw RSA
// decryption primitive, in constant time as OpenSSL does it. For key stores
// whose module does the RSA operation but not OAEP with SHA-256.
// INVALID_ARGUMENT (one message for every defect) when it is not a valid
// encoding.
absl::StatusOr<SecretBytes> DecodeOaepSha256(const SecretBytes& encoded);

}  // namespace sejf

#endif  // SEJF_COMMON_IMPORT_WRAP_H_
