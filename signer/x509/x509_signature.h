// Turning an ExternalSigner's raw signature into the signature fields of an
// X.509 structure (CSR or certificate). Internal to signer/x509.
// Thread-safe (no shared state).
#ifndef SEJF_SIGNER_X509_X509_SIGNATURE_H_
#define SEJF_SIGNER_X509_X509_SIGNATURE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"
#include "signer/x509/public_key.h"
#include "signer/x509/signature_scheme.h"

namespace sejf::signer {

// The DER AlgorithmIdentifier for `scheme` (documented at SignatureScheme).
absl::string_view SignatureAlgorithmDer(SignatureScheme scheme);

// The same, parsed, for X509_REQ_set1_signature_algo / X509_ALGOR_copy.
absl::StatusOr<X509AlgorPtr> SignatureAlgorithm(SignatureScheme scheme);

// Raw r||s (64 bytes, 32 each, big-endian) as the DER ECDSA-Sig-Value
// SEQUENCE { r INTEGER, s INTEGER } that X.509 and PKCS#10 carry.
// INTERNAL when `raw` is not 64 bytes or r or s is zero (a signer fault).
absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw);

// Has `signer` sign `to_be_signed` and returns the signatureValue BIT STRING
// (0 unused bits) for a key of `type`: for ECDSA the DER ECDSA-Sig-Value,
// for RSA the signature as the signer gave it. `what` names the object in
// messages ("the certificate request"). Errors: INVALID_ARGUMENT for an
// empty signer; the signer's own status (code kept, message prefixed);
// INTERNAL when the signature is not RawSignatureSize(type) bytes.
absl::StatusOr<Asn1BitStringPtr> SignToBitString(const ExternalSigner& signer,
                                                 SignatureScheme scheme,
                                                 KsefKeyType type,
                                                 absl::string_view to_be_signed,
                                                 absl::string_view what);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_X509_SIGNATURE_H_
