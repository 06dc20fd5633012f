#include "server/ksef_conversions.h"

#include "absl/strings/str_cat.h"
#include "server/common_conversions.h"

namespace sejf::server {

std::optional<signer::SubjectIdentifierType> SubjectTypeFromProto(
    sejf::v1::SubjectIdentifierType t) {
  switch (t) {
    case sejf::v1::SUBJECT_IDENTIFIER_TYPE_CERTIFICATE_SUBJECT:
      return signer::SubjectIdentifierType::kCertificateSubject;
    case sejf::v1::SUBJECT_IDENTIFIER_TYPE_CERTIFICATE_FINGERPRINT:
      return signer::SubjectIdentifierType::kCertificateFingerprint;
    default:
      return std::nullopt;
  }
}

std::optional<signer::AuthTokenNamespace> NamespaceFromProto(
    sejf::v1::AuthTokenNamespace ns) {
  switch (ns) {
    case sejf::v1::AUTH_TOKEN_NAMESPACE_V2_0:
      return signer::AuthTokenNamespace::kV2_0;
    case sejf::v1::AUTH_TOKEN_NAMESPACE_V2_1:
      return signer::AuthTokenNamespace::kV2_1;
    default:
      return std::nullopt;
  }
}

std::optional<signer::MinistryCertificateUsage> MinistryUsageFromProto(
    sejf::v1::MinistryCertificateUsage u) {
  switch (u) {
    case sejf::v1::MINISTRY_CERTIFICATE_USAGE_KSEF_TOKEN_ENCRYPTION:
      return signer::MinistryCertificateUsage::kKsefTokenEncryption;
    case sejf::v1::MINISTRY_CERTIFICATE_USAGE_SYMMETRIC_KEY_ENCRYPTION:
      return signer::MinistryCertificateUsage::kSymmetricKeyEncryption;
    default:
      return std::nullopt;
  }
}

sejf::v1::MinistryCertificateUsage MinistryUsageToProto(
    signer::MinistryCertificateUsage u) {
  switch (u) {
    case signer::MinistryCertificateUsage::kKsefTokenEncryption:
      return sejf::v1::MINISTRY_CERTIFICATE_USAGE_KSEF_TOKEN_ENCRYPTION;
    case signer::MinistryCertificateUsage::kSymmetricKeyEncryption:
      return sejf::v1::MINISTRY_CERTIFICATE_USAGE_SYMMETRIC_KEY_ENCRYPTION;
  }
  return sejf::v1::MINISTRY_CERTIFICATE_USAGE_UNSPECIFIED;
}

signer::AllowedIps AllowedIpsFromProto(const sejf::v1::AllowedIps& ips) {
  signer::AllowedIps out;
  out.ip4_addresses.assign(ips.ip4_addresses().begin(),
                           ips.ip4_addresses().end());
  out.ip4_ranges.assign(ips.ip4_ranges().begin(), ips.ip4_ranges().end());
  out.ip4_masks.assign(ips.ip4_masks().begin(), ips.ip4_masks().end());
  return out;
}

void AllowedIpsToProto(const signer::AllowedIps& ips,
                       sejf::v1::AllowedIps* out) {
  out->mutable_ip4_addresses()->Assign(ips.ip4_addresses.begin(),
                                       ips.ip4_addresses.end());
  out->mutable_ip4_ranges()->Assign(ips.ip4_ranges.begin(),
                                    ips.ip4_ranges.end());
  out->mutable_ip4_masks()->Assign(ips.ip4_masks.begin(), ips.ip4_masks.end());
}

void MinistryCertificateToProto(const signer::MinistryCertificate& c,
                                sejf::v1::MinistryCertificate* out) {
  out->set_name(absl::StrCat("environments/", c.environment,
                             "/ministryCertificates/", c.Fingerprint()));
  out->set_environment(c.environment);
  for (signer::MinistryCertificateUsage u : c.usages) {
    out->add_usages(MinistryUsageToProto(u));
  }
  out->set_certificate_id(c.certificate_id);
  out->set_public_key_id(c.public_key_id);
  *out->mutable_valid_from() = ToTimestamp(c.valid_from);
  *out->mutable_valid_to() = ToTimestamp(c.valid_to);
  out->set_subject(c.subject);
  out->set_der(c.der);
  out->set_trusted_by(c.trusted_by);
  if (c.retire_time.has_value()) {
    *out->mutable_retire_time() = ToTimestamp(*c.retire_time);
  }
}

}  // namespace sejf::server
