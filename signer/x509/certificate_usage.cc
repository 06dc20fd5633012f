#include "signer/x509/certificate_usage.h"

namespace sejf::signer {

absl::string_view CertificateUsageName(CertificateUsage usage) {
  switch (usage) {
    case CertificateUsage::kAuthentication:
      return "authentication";
    case CertificateUsage::kOffline:
      return "offline";
  }
  return "unknown";
}

std::uint32_t RequiredKeyUsageBit(CertificateUsage usage) {
  switch (usage) {
    case CertificateUsage::kAuthentication:
      return kKeyUsageDigitalSignature;
    case CertificateUsage::kOffline:
      return kKeyUsageNonRepudiation;
  }
  return kKeyUsageDigitalSignature;
}

absl::string_view KeyUsageBitName(std::uint32_t bit) {
  switch (bit) {
    case kKeyUsageDigitalSignature:
      return "digitalSignature";
    case kKeyUsageNonRepudiation:
      return "nonRepudiation";
    case kKeyUsageKeyEncipherment:
      return "keyEncipherment";
    case kKeyUsageDataEncipherment:
      return "dataEncipherment";
    case kKeyUsageKeyAgreement:
      return "keyAgreement";
    case kKeyUsageKeyCertSign:
      return "keyCertSign";
    case kKeyUsageCrlSign:
      return "cRLSign";
    case kKeyUsageEncipherOnly:
      return "encipherOnly";
    case kKeyUsageDecipherOnly:
      return "decipherOnly";
  }
  return "unknown";
}

}  // namespace sejf::signer
