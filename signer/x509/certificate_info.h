// Reading X.509 certificates handed to sejf (AttachCertificate), and the
// checks that a certificate belongs to a key and fits its KSeF usage.
//
//   ASSIGN_OR_RETURN(CertificateChain chain, ParseCertificateChain(file));
//   RETURN_IF_ERROR(CheckCertificateFitsKey(chain.leaf, key_spki_der,
//                                           CertificateUsage::kOffline));
//
// Thread-safety: plain values and functions without shared state.
#ifndef SEJF_SIGNER_X509_CERTIFICATE_INFO_H_
#define SEJF_SIGNER_X509_CERTIFICATE_INFO_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "signer/x509/certificate_usage.h"

namespace sejf::signer {

// What sejf records about a certificate.
struct CertificateInfo {
  std::string der;  // the certificate, DER
  std::string pem;  // the same as one "CERTIFICATE" PEM block
  // RFC 2253 strings (RDNs last first, as `openssl -nameopt RFC2253`), with
  // non-ASCII characters as UTF-8 rather than \XX escapes, e.g.
  // "C=PL,CN=Łukasz Wójcik".
  std::string subject;
  std::string issuer;
  // The serial's value in uppercase hex, whole bytes, without DER's sign
  // byte, exactly as `openssl x509 -serial` prints it: "012E76A6111F788E"
  // (KSeF's certificateSerialNumber form, ^[0-9A-F]{16}$ for KSeF-issued
  // certificates), "8000000000000001" for a serial with its top bit set.
  // "00" for zero; a negative serial (against RFC 5280) starts with "-".
  std::string serial_hex;
  absl::Time not_before;
  absl::Time not_after;
  // SHA-256 of `der`, 64 uppercase hex characters (the KSeF convention).
  std::string sha256_fingerprint;
  // The certificate's SubjectPublicKeyInfo, DER.
  std::string spki_der;
  // The keyUsage bits (kKeyUsage* in certificate_usage.h); nullopt when the
  // certificate has no keyUsage extension (then, per RFC 5280, every use is
  // allowed).
  std::optional<std::uint32_t> key_usage;
};

struct CertificateChain {
  CertificateInfo leaf;
  // The certificates after the leaf, DER, in the order given (each the
  // issuer of the one before).
  std::vector<std::string> intermediates_der;
};

// At most this many certificates in a chain.
inline constexpr std::size_t kMaxChainLength = 10;

// Parses one DER certificate (exactly one: trailing bytes are refused).
// INVALID_ARGUMENT when `der` is not one.
absl::StatusOr<CertificateInfo> ParseCertificate(absl::string_view der);

// Parses `data`: PEM with one or more "CERTIFICATE" blocks (text around the
// blocks is ignored), or the DER of one certificate. Leaf first; each
// further certificate must be the issuer of the one before it (names and key
// identifiers; signatures are not checked here).
// INVALID_ARGUMENT, naming the certificate by its place, for: empty input,
// a PEM block of another kind (e.g. a private key), an unparsable
// certificate, DER followed by more bytes, more than kMaxChainLength
// certificates, or a chain out of order.
absl::StatusOr<CertificateChain> ParseCertificateChain(absl::string_view data);

// Whether `certificate` can serve the key whose public key is
// `key_spki_der`, for `usage`:
//   FAILED_PRECONDITION "certificate's public key is not this key's" when
//     the public keys differ (compared as keys, not as bytes);
//   FAILED_PRECONDITION naming the keyUsage bit that is missing
//     (digitalSignature for kAuthentication, nonRepudiation for kOffline)
//     and listing the bits the certificate has. Only the needed bit is
//     required: other bits do not matter (qualified seals and CA-issued
//     certificates often carry digitalSignature + nonRepudiation,
//     keyEncipherment, ...), and a certificate without a keyUsage
//     extension fits every usage (RFC 5280);
//   INVALID_ARGUMENT when either public key does not parse.
// Validity dates are not checked.
absl::Status CheckCertificateFitsKey(const CertificateInfo& certificate,
                                     absl::string_view key_spki_der,
                                     CertificateUsage usage);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_CERTIFICATE_INFO_H_
