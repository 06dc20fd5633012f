// Signature encodings and an independent check of signatures, with OpenSSL.
//
// The key stores return ECDSA signatures as raw r||s (what XMLDSig and KSeF
// want); X.509, CMS and OpenSSL's verifiers want DER (RFC 3279
// Ecdsa-Sig-Value). These convert between the two, and VerifySignature
// checks any KeyStore signature against a SubjectPublicKeyInfo.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_HSM_SIGNATURES_H_
#define SEJF_HSM_SIGNATURES_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/key_store.h"

namespace sejf::hsm {

// The size of a raw P-256 ECDSA signature (r and s, 32 bytes each).
inline constexpr std::size_t kEcdsaP256RawSize = 64;

// Raw r||s (even length, each half big-endian) -> DER SEQUENCE { r, s }.
// INVALID_ARGUMENT for an empty or odd-length input.
absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw);

// DER SEQUENCE { r, s } -> raw r||s, each half left-padded to `half_size`
// bytes (32 for P-256). INVALID_ARGUMENT when the input is not exactly one
// DER ECDSA signature or r or s does not fit `half_size` bytes.
absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der,
                                          std::size_t half_size);

// Verifies `signature` over `data` with the public key `spki_der` (DER
// SubjectPublicKeyInfo) under `scheme`, as a KeyStore produces it (ECDSA as
// raw r||s). OK when it verifies; INVALID_ARGUMENT when the SPKI does not
// parse or does not fit the scheme; DATA_LOSS when the signature is wrong.
absl::Status VerifySignature(absl::string_view spki_der, SignatureScheme scheme,
                             absl::string_view data,
                             absl::string_view signature);

}  // namespace sejf::hsm

#endif  // SEJF_HSM_SIGNATURES_H_
