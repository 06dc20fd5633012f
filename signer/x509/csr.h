// PKCS#10 certificate signing requests for KSeF enrollment
// (`POST /certificates/enrollments`, ksef-protocol.md §6.3), signed by a key
// this code never holds.
//
//   ASSIGN_OR_RETURN(DistinguishedName subject,
//                    DistinguishedName::Parse("CN=Jan Kowalski, C=PL"));
//   ASSIGN_OR_RETURN(Csr csr, CreateCsr(spki_der, subject,
//                                       SignatureScheme::kEcdsaSha256,
//                                       hsm_signer));
//   // csr.der, Base64-encoded, is the `csr` field of the enrollment request.
//
// Thread-safety: no shared state; safe from any thread.
#ifndef SEJF_SIGNER_X509_CSR_H_
#define SEJF_SIGNER_X509_CSR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "signer/x509/distinguished_name.h"
#include "signer/x509/signature_scheme.h"

namespace sejf::signer {

struct Csr {
  std::string der;  // CertificationRequest (RFC 2986), DER
  std::string pem;  // the same as one "CERTIFICATE REQUEST" PEM block
};

// Builds a CertificationRequest: version 1 (0), `subject` (attribute order
// and string types as DistinguishedName documents), the public key exactly
// as `spki_der`, no attributes (an empty [0] SET); has `signer` sign the DER
// CertificationRequestInfo once, and sets the AlgorithmIdentifier of
// `scheme` and the signature (ECDSA as DER ECDSA-Sig-Value).
//
// Before returning, the CSR is verified with `spki_der`, so a signer that
// used another key, or another scheme, is caught here.
//
// Errors:
//   INVALID_ARGUMENT: `spki_der` is not an EC P-256 or RSA-2048 public key
//     (KSeF accepts no other), `scheme` does not fit the key, or no signer.
//     Nothing is signed then.
//   The signer's status, code kept, when it fails.
//   INTERNAL: the signature is malformed or does not verify with
//     `spki_der`, or OpenSSL fails.
absl::StatusOr<Csr> CreateCsr(absl::string_view spki_der,
                              const DistinguishedName& subject,
                              SignatureScheme scheme,
                              const ExternalSigner& signer);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_CSR_H_
