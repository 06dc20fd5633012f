// The signing seam of signer/x509: this code builds what is to be signed and
// hands it to an ExternalSigner (in production the HSM, which holds the
// private key); it never sees a private key itself.
#ifndef SEJF_SIGNER_X509_SIGNATURE_SCHEME_H_
#define SEJF_SIGNER_X509_SIGNATURE_SCHEME_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/signature_scheme.h"

namespace sejf::signer {

// How the ExternalSigner signs, and the AlgorithmIdentifier written into the
// CSR or certificate for it: the HSM's own enum (hsm/signature_scheme.h,
// header-only), so a scheme passes from here to the HSM unconverted.
using hsm::SignatureScheme;
using hsm::SignatureSchemeName;

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
