// The signature schemes sejf makes: one enum for every layer (the HSM signs
// with it, signer/x509 writes its AlgorithmIdentifier). Header-only, so code
// that only names a scheme (signer/x509, the CLI) needs no PKCS#11 library.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_HSM_SIGNATURE_SCHEME_H_
#define SEJF_HSM_SIGNATURE_SCHEME_H_

#include "absl/strings/string_view.h"

namespace sejf::hsm {

enum class SignatureScheme {
  // ECDSA over SHA-256(data); EC P-256 keys. The HSM's signature is raw r||s:
  // 64 bytes, each half big-endian and left-padded to 32 bytes (IEEE P1363;
  // what XMLDSig and KSeF QR codes want). Use EcdsaRawToDer
  // (hsm/signatures.h) for X.509/CMS. AlgorithmIdentifier ecdsa-with-SHA256
  // (1.2.840.10045.4.3.2, parameters absent, RFC 5758).
  kEcdsaSha256,
  // RSASSA-PKCS1-v1_5 with SHA-256 (DigestInfo inside); RSA keys, 256 bytes
  // for RSA-2048. AlgorithmIdentifier sha256WithRSAEncryption
  // (1.2.840.113549.1.1.11, parameters NULL).
  kRsaPkcs1Sha256,
  // RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (KSeF KOD II);
  // RSA keys, 256 bytes for RSA-2048. AlgorithmIdentifier id-RSASSA-PSS
  // (1.2.840.113549.1.1.10) with RSASSA-PSS-params {sha256 (NULL params),
  // mgf1SHA256, saltLength 32}, the trailer field left at its default
  // (RFC 4055).
  kRsaPssSha256,
};

// "ecdsa-sha256", "rsa-pkcs1-sha256", "rsa-pss-sha256".
inline absl::string_view SignatureSchemeName(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kEcdsaSha256:
      return "ecdsa-sha256";
    case SignatureScheme::kRsaPkcs1Sha256:
      return "rsa-pkcs1-sha256";
    case SignatureScheme::kRsaPssSha256:
      return "rsa-pss-sha256";
  }
  return "unknown-scheme";
}

}  // namespace sejf::hsm

#endif  // SEJF_HSM_SIGNATURE_SCHEME_H_
