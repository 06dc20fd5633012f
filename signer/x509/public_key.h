// The public keys KSeF certifies: EC P-256 and RSA-2048 (ksef-protocol.md
// §6.3), given as DER SubjectPublicKeyInfo. Internal to signer/x509.
// Thread-safe (no shared state).
#ifndef SEJF_SIGNER_X509_PUBLIC_KEY_H_
#define SEJF_SIGNER_X509_PUBLIC_KEY_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"
#include "signer/x509/signature_scheme.h"

namespace sejf::signer {

enum class KsefKeyType { kEcP256, kRsa2048 };

struct KsefPublicKey {
  EvpPkeyPtr key;  // public half only
  KsefKeyType type = KsefKeyType::kEcP256;
};

// Parses `spki_der`. INVALID_ARGUMENT when it is not exactly one DER
// SubjectPublicKeyInfo in the form OpenSSL itself would write (no trailing
// bytes, no alternative encodings — so that a CSR's or certificate's public
// key is byte for byte `spki_der`), or when the key is neither EC on NIST
// P-256 (id-ecPublicKey, named curve) nor rsaEncryption with a 2048-bit
// modulus; the message names what the key is.
absl::StatusOr<KsefPublicKey> ParseKsefPublicKey(absl::string_view spki_der);

// Parses any DER SubjectPublicKeyInfo (trailing bytes refused).
// INVALID_ARGUMENT naming `what` otherwise.
absl::StatusOr<EvpPkeyPtr> ParsePublicKey(absl::string_view spki_der,
                                          absl::string_view what);

// OK when `scheme` can sign with a key of `type` (ECDSA for EC, the RSA
// schemes for RSA); INVALID_ARGUMENT naming both otherwise.
absl::Status CheckSchemeFitsKey(SignatureScheme scheme, KsefKeyType type);

// "EC P-256", "RSA-2048".
absl::string_view KsefKeyTypeName(KsefKeyType type);

// The size of a raw signature of `type`: 64 (r||s) or 256.
std::size_t RawSignatureSize(KsefKeyType type);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_PUBLIC_KEY_H_
