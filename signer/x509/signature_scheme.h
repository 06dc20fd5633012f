// The signing seam of signer/x509: this code builds what is to be signed and
// hands it to an ExternalSigner (in production the HSM, which holds the
// private key); it never sees a private key itself.
#ifndef SEJF_SIGNER_X509_SIGNATURE_SCHEME_H_
#define SEJF_SIGNER_X509_SIGNATURE_SCHEME_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::signer {

// How the ExternalSigner signs, and the AlgorithmIdentifier written into the
// CSR or certificate for it. (hsm::SignatureScheme has the same three values;
// the caller maps one to the other.)
enum class SignatureScheme {
  // ECDSA over SHA-256; EC P-256 keys. AlgorithmIdentifier ecdsa-with-SHA256
  // (1.2.840.10045.4.3.2, parameters absent, RFC 5758).
  kEcdsaSha256,
  // RSASSA-PKCS1-v1_5 with SHA-256; RSA keys. AlgorithmIdentifier
  // sha256WithRSAEncryption (1.2.840.113549.1.1.11, parameters NULL).
  kRsaPkcs1Sha256,
  // RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt; RSA keys.
  // AlgorithmIdentifier id-RSASSA-PSS (1.2.840.113549.1.1.10) with
  // RSASSA-PSS-params {sha256 (NULL params), mgf1SHA256, saltLength 32}, the
  // trailer field left at its default (RFC 4055).
  kRsaPssSha256,
};

// "ecdsa-sha256", "rsa-pkcs1-sha256", "rsa-pss-sha256".
absl::string_view SignatureSchemeName(SignatureScheme scheme);

// Signs `data` (the DER to-be-signed bytes: the message itself, which the
// signer hashes with SHA-256 as the scheme says) and returns the raw
// signature:
//   kEcdsaSha256: r||s, 64 bytes, each half big-endian and left-padded to 32
//                 bytes (IEEE P1363; what PKCS#11 CKM_ECDSA gives). This code
//                 converts it to the DER ECDSA-Sig-Value X.509 needs.
//   RSA schemes:  the signature, as long as the modulus (256 bytes for
//                 RSA-2048).
// A non-OK status is passed on to the caller with its code kept.
// Called at most once per CSR or certificate, from the calling thread.
using ExternalSigner =
    std::function<absl::StatusOr<std::string>(absl::string_view data)>;

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_SIGNATURE_SCHEME_H_
