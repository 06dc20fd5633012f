// The two KSeF certificate types a key can serve (ksef-protocol.md §6.1) and
// the X.509 keyUsage bit each needs.
#ifndef SEJF_SIGNER_X509_CERTIFICATE_USAGE_H_
#define SEJF_SIGNER_X509_CERTIFICATE_USAGE_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace sejf::signer {

enum class CertificateUsage {
  // KSeF login (XAdES AuthTokenRequest): keyUsage digitalSignature.
  kAuthentication,
  // Offline invoice QR codes (KOD II): keyUsage nonRepudiation.
  kOffline,
};

// keyUsage bits (RFC 5280 §4.2.1.3) as a mask, with the values OpenSSL's
// X509_get_key_usage() uses (KU_* in openssl/x509v3.h).
inline constexpr std::uint32_t kKeyUsageDigitalSignature = 0x0080;
inline constexpr std::uint32_t kKeyUsageNonRepudiation = 0x0040;
inline constexpr std::uint32_t kKeyUsageKeyEncipherment = 0x0020;
inline constexpr std::uint32_t kKeyUsageDataEncipherment = 0x0010;
inline constexpr std::uint32_t kKeyUsageKeyAgreement = 0x0008;
inline constexpr std::uint32_t kKeyUsageKeyCertSign = 0x0004;
inline constexpr std::uint32_t kKeyUsageCrlSign = 0x0002;
inline constexpr std::uint32_t kKeyUsageEncipherOnly = 0x0001;
inline constexpr std::uint32_t kKeyUsageDecipherOnly = 0x8000;

// "authentication", "offline".
absl::string_view CertificateUsageName(CertificateUsage usage);

// The keyUsage bit `usage` needs: kKeyUsageDigitalSignature or
// kKeyUsageNonRepudiation.
std::uint32_t RequiredKeyUsageBit(CertificateUsage usage);

// The RFC 5280 name of one bit: "digitalSignature", "nonRepudiation", ...
absl::string_view KeyUsageBitName(std::uint32_t bit);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_CERTIFICATE_USAGE_H_
