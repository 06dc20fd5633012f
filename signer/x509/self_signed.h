// Self-signed certificates for the KSeF TEST environment, which accepts them
// for XAdES login (ksef-protocol.md §5.4), signed by a key this code never
// holds.
//
// Thread-safety: no shared state; safe from any thread.
#ifndef SEJF_SIGNER_X509_SELF_SIGNED_H_
#define SEJF_SIGNER_X509_SELF_SIGNED_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "signer/x509/certificate_info.h"
#include "signer/x509/certificate_usage.h"
#include "signer/x509/distinguished_name.h"
#include "signer/x509/signature_scheme.h"

namespace sejf::signer {

inline constexpr int kMinSelfSignedDays = 1;
inline constexpr int kMaxSelfSignedDays = 3650;

// Builds and signs an X.509 v3 certificate:
//   serial      8 random bytes, positive, first byte 0x01..0x7F, so its DER
//               content is exactly 8 bytes, like KSeF's own serials
//               (16 hex characters)
//   issuer      = subject = `subject` (order and string types kept)
//   validity    notBefore = clock.Now() truncated to whole seconds,
//               notAfter = notBefore + `validity_days` × 24 h (UTCTime up to
//               2049, GeneralizedTime after, as RFC 5280 requires)
//   public key  exactly `spki_der`
//   extensions  basicConstraints critical CA:FALSE;
//               keyUsage critical digitalSignature (kAuthentication) or
//               nonRepudiation (kOffline);
//               subjectKeyIdentifier = SHA-1 of the public key bits
//               (RFC 5280 §4.2.1.2 method 1)
//   signature   `scheme` through `signer` (one call over the DER
//               TBSCertificate)
// The result is verified with `spki_der` before it is returned, and comes
// back described as ParseCertificate would.
//
// Errors:
//   INVALID_ARGUMENT: `validity_days` outside kMinSelfSignedDays..
//     kMaxSelfSignedDays, a key KSeF does not accept (EC P-256 and RSA-2048
//     only), `scheme` not fitting the key, or no signer. Nothing is signed.
//   The signer's status, code kept, when it fails.
//   INTERNAL: the signature is malformed or does not verify, or OpenSSL or
//     libsodium (the serial's randomness) fails.
absl::StatusOr<CertificateInfo> CreateSelfSignedCertificate(
    absl::string_view spki_der, const DistinguishedName& subject,
    CertificateUsage usage, int validity_days, SignatureScheme scheme,
    const ExternalSigner& signer, const Clock& clock);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_SELF_SIGNED_H_
