// Issuing X.509 certificates from a small in-process certificate authority:
// the development PKI of `sejfd --dev` and client certificates for tests and
// the CLI. Keys are EC P-256, signatures ECDSA-SHA256, serials 16 random
// bytes (positive), notBefore is the clock's time minus kClockSkewAllowance.
//
// Every function is thread-safe (no shared state).
#ifndef SEJF_SERVER_TLS_CERTIFICATE_ISSUER_H_
#define SEJF_SERVER_TLS_CERTIFICATE_ISSUER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/secret.h"

namespace sejf::server {

// How far notBefore lies before the issuing clock's time, so that a peer
// whose clock lags a little still accepts a certificate issued just now.
inline constexpr absl::Duration kClockSkewAllowance = absl::Minutes(5);

// A certificate and its private key.
struct IssuedCertificate {
  std::string certificate_pem;  // one "CERTIFICATE" PEM block
  SecretBytes private_key_pem;  // unencrypted PKCS#8 "PRIVATE KEY" PEM block
};

enum class CertificateUsage {
  kServer,  // extendedKeyUsage serverAuth
  kClient,  // extendedKeyUsage clientAuth
};

// What a leaf certificate says. Every leaf also gets basicConstraints
// CA:FALSE and keyUsage digitalSignature (both critical), a
// subjectKeyIdentifier and an authorityKeyIdentifier.
struct CertificateSpec {
  // Subject CN; the caller's identity when there is no URI SAN. Must pass
  // CheckCommonNameIdentity (server/tls/peer_identity.h) and be at most 64
  // bytes (the X.509 limit).
  std::string common_name;
  // The caller's identity when set (e.g. "spiffe://acme/erp"): must pass
  // CheckUriIdentity.
  std::optional<std::string> uri_san;
  std::vector<std::string> dns_sans;  // e.g. "localhost"
  std::vector<std::string> ip_sans;   // IPv4 or IPv6 text, e.g. "::1"
  CertificateUsage usage = CertificateUsage::kClient;
  // From the clock's time; notAfter is capped at the CA's notAfter.
  absl::Duration validity = absl::Hours(24 * 365);
};

// A new self-signed CA: a fresh key, subject and issuer CN `common_name`,
// basicConstraints CA:TRUE and keyUsage keyCertSign+cRLSign (both critical),
// subject- and authorityKeyIdentifier, valid for `validity` from the clock's
// time. INVALID_ARGUMENT for an empty or over-long (> 64 bytes) name or a
// non-positive validity; INTERNAL on OpenSSL failure.
absl::StatusOr<IssuedCertificate> CreateCertificateAuthority(
    absl::string_view common_name, absl::Duration validity, const Clock& clock);

// Like CreateCertificateAuthority, but for the existing CA key `key_pem`:
// returns only the new certificate. Certificates issued earlier by a CA with
// the same name and key verify against it. INVALID_ARGUMENT also when
// `key_pem` is not an unencrypted PEM private key.
absl::StatusOr<std::string> SelfSignCertificateAuthority(
    const SecretBytes& key_pem, absl::string_view common_name,
    absl::Duration validity, const Clock& clock);

// A new key and a certificate for it as `spec` says, signed by the CA
// (`ca_certificate_pem`, `ca_key_pem`).
// INVALID_ARGUMENT, saying what, when the spec breaks a rule above, the CA
// certificate or key does not parse, the key is not the certificate's, or
// the certificate is not a CA; FAILED_PRECONDITION when the CA certificate
// has expired at the clock's time; INTERNAL on OpenSSL failure.
absl::StatusOr<IssuedCertificate> IssueCertificate(
    absl::string_view ca_certificate_pem, const SecretBytes& ca_key_pem,
    const CertificateSpec& spec, const Clock& clock);

}  // namespace sejf::server

#endif  // SEJF_SERVER_TLS_CERTIFICATE_ISSUER_H_
