#include "client/ksef_conversions.h"

#include <string>
#include <utility>

#include "client/common_conversions.h"

namespace sejf::client {
namespace {

constexpr std::pair<SubjectIdentifierType, v1::SubjectIdentifierType>
    kSubjectTypes[] = {
        {SubjectIdentifierType::kCertificateSubject,
         v1::SUBJECT_IDENTIFIER_TYPE_CERTIFICATE_SUBJECT},
        {SubjectIdentifierType::kCertificateFingerprint,
         v1::SUBJECT_IDENTIFIER_TYPE_CERTIFICATE_FINGERPRINT},
};

constexpr std::pair<AuthTokenNamespace, v1::AuthTokenNamespace> kNamespaces[] =
    {
        {AuthTokenNamespace::kV2_0, v1::AUTH_TOKEN_NAMESPACE_V2_0},
        {AuthTokenNamespace::kV2_1, v1::AUTH_TOKEN_NAMESPACE_V2_1},
};

constexpr std::pair<MinistryCertificateUsage, v1::MinistryCertificateUsage>
    kMinistryUsages[] = {
        {MinistryCertificateUsage::kKsefTokenEncryption,
         v1::MINISTRY_CERTIFICATE_USAGE_KSEF_TOKEN_ENCRYPTION},
        {MinistryCertificateUsage::kSymmetricKeyEncryption,
         v1::MINISTRY_CERTIFICATE_USAGE_SYMMETRIC_KEY_ENCRYPTION},
};

// Left unset when empty, as a request without AllowedIps.
template <typename Request>
void SetAllowedIps(const AllowedIps& ips, Request* request) {
  if (ips.empty()) return;
  *request->mutable_allowed_ips() = ToProto(ips);
}

template <typename Request>
void SetPng(const std::optional<QrPng>& png, Request* request) {
  if (!png.has_value()) return;
  request->mutable_png()->set_label(png->label);
  request->mutable_png()->set_module_pixels(png->module_pixels);
}

}  // namespace

v1::AllowedIps ToProto(const AllowedIps& ips) {
  v1::AllowedIps out;
  for (const std::string& ip : ips.ip4_addresses) out.add_ip4_addresses(ip);
  for (const std::string& ip : ips.ip4_ranges) out.add_ip4_ranges(ip);
  for (const std::string& ip : ips.ip4_masks) out.add_ip4_masks(ip);
  return out;
}

AllowedIps FromProto(const v1::AllowedIps& ips) {
  return AllowedIps{
      .ip4_addresses = {ips.ip4_addresses().begin(), ips.ip4_addresses().end()},
      .ip4_ranges = {ips.ip4_ranges().begin(), ips.ip4_ranges().end()},
      .ip4_masks = {ips.ip4_masks().begin(), ips.ip4_masks().end()}};
}

v1::SubjectIdentifierType ToProto(SubjectIdentifierType type) {
  return Convert(kSubjectTypes, type, v1::SUBJECT_IDENTIFIER_TYPE_UNSPECIFIED);
}

// File-local conversions: static rather than in the unnamed namespace, so
// they overload the public ones instead of hiding them.
static v1::MinistryCertificateUsage ToProto(MinistryCertificateUsage usage) {
  return Convert(kMinistryUsages, usage,
                 v1::MINISTRY_CERTIFICATE_USAGE_UNSPECIFIED);
}

v1::SignAuthTokenRequestRequest ToProto(const AuthTokenRequest& request) {
  v1::SignAuthTokenRequestRequest out;
  out.set_key(request.key);
  out.set_challenge(request.challenge);
  out.set_context(request.context);
  out.set_subject_identifier_type(ToProto(request.subject_identifier_type));
  SetAllowedIps(request.allowed_ips, &out);
  out.set_namespace_(
      Convert(kNamespaces, request.ns, v1::AUTH_TOKEN_NAMESPACE_UNSPECIFIED));
  return out;
}

SignedAuthTokenRequest FromProto(const v1::SignAuthTokenRequestResponse& r) {
  return SignedAuthTokenRequest{
      .signed_xml = r.signed_xml(),
      .signing_time = FromProto(r.signing_time()),
      .certificate_sha256_fingerprint = r.certificate_sha256_fingerprint()};
}

v1::SignAuthTokenRequestResponse ToProto(const SignedAuthTokenRequest& r) {
  v1::SignAuthTokenRequestResponse out;
  out.set_signed_xml(r.signed_xml);
  *out.mutable_signing_time() = ToProto(r.signing_time);
  out.set_certificate_sha256_fingerprint(r.certificate_sha256_fingerprint);
  return out;
}

v1::EncryptTokenRequest ToProto(const TokenEncryption& request) {
  v1::EncryptTokenRequest out;
  out.set_token(request.token);
  out.set_challenge(request.challenge);
  out.set_timestamp_ms(request.timestamp_ms);
  out.set_environment(request.environment);
  out.set_context(request.context);
  SetAllowedIps(request.allowed_ips, &out);
  return out;
}

EncryptedToken FromProto(const v1::EncryptTokenResponse& r) {
  return EncryptedToken{.encrypted_token = r.encrypted_token(),
                        .public_key_id = r.public_key_id(),
                        .request_json = r.request_json()};
}

v1::EncryptTokenResponse ToProto(const EncryptedToken& r) {
  v1::EncryptTokenResponse out;
  out.set_encrypted_token(r.encrypted_token);
  out.set_public_key_id(r.public_key_id);
  out.set_request_json(r.request_json);
  return out;
}

v1::SignOfflineQrCodeRequest ToProto(const OfflineQrCodeSpec& spec) {
  v1::SignOfflineQrCodeRequest out;
  out.set_key(spec.key);
  out.set_context(spec.context);
  out.set_seller_nip(spec.seller_nip);
  out.set_invoice_sha256(spec.invoice_sha256);
  out.set_environment(spec.environment);
  SetPng(spec.png, &out);
  return out;
}

v1::BuildInvoiceQrCodeRequest ToProto(const InvoiceQrCodeSpec& spec) {
  v1::BuildInvoiceQrCodeRequest out;
  out.set_seller_nip(spec.seller_nip);
  out.set_issue_date(spec.issue_date);
  out.set_invoice_sha256(spec.invoice_sha256);
  out.set_environment(spec.environment);
  SetPng(spec.png, &out);
  return out;
}

QrCode FromProto(const v1::SignOfflineQrCodeResponse& r) {
  return QrCode{.url = r.url(), .png = r.png()};
}

QrCode FromProto(const v1::BuildInvoiceQrCodeResponse& r) {
  return QrCode{.url = r.url(), .png = r.png()};
}

v1::BuildInvoiceQrCodeResponse ToProto(const QrCode& code) {
  v1::BuildInvoiceQrCodeResponse out;
  out.set_url(code.url);
  out.set_png(code.png);
  return out;
}

MinistryCertificate FromProto(const v1::MinistryCertificate& c) {
  MinistryCertificate out{
      .name = c.name(),
      .environment = c.environment(),
      .usages = {},
      .certificate_id = c.certificate_id(),
      .public_key_id = c.public_key_id(),
      .valid_from = FromProto(c.valid_from()),
      .valid_to = FromProto(c.valid_to()),
      .subject = c.subject(),
      .der = c.der(),
      .trusted_by = c.trusted_by(),
      .retire_time = OptionalTime(c.has_retire_time(), c.retire_time())};
  for (int u : c.usages()) {
    out.usages.push_back(ConvertBack(
        kMinistryUsages, static_cast<v1::MinistryCertificateUsage>(u),
        MinistryCertificateUsage::kUnspecified));
  }
  return out;
}

v1::MinistryCertificate ToProto(const MinistryCertificate& c) {
  v1::MinistryCertificate out;
  out.set_name(c.name);
  out.set_environment(c.environment);
  for (MinistryCertificateUsage u : c.usages) out.add_usages(ToProto(u));
  out.set_certificate_id(c.certificate_id);
  out.set_public_key_id(c.public_key_id);
  *out.mutable_valid_from() = ToProto(c.valid_from);
  *out.mutable_valid_to() = ToProto(c.valid_to);
  out.set_subject(c.subject);
  out.set_der(c.der);
  out.set_trusted_by(c.trusted_by);
  if (c.retire_time.has_value()) {
    *out.mutable_retire_time() = ToProto(*c.retire_time);
  }
  return out;
}

v1::ImportMinistryCertificatesRequest ToProto(
    const MinistryCertificateImport& request) {
  v1::ImportMinistryCertificatesRequest out;
  out.set_environment(request.environment);
  out.set_content(request.content);
  out.set_usage(ToProto(request.usage));
  for (const std::string& pin : request.pin_fingerprints) {
    out.add_pin_fingerprints(pin);
  }
  return out;
}

std::vector<MinistryCertificate> FromProto(
    const v1::ImportMinistryCertificatesResponse& r) {
  std::vector<MinistryCertificate> out;
  out.reserve(r.certificates_size());
  for (const auto& c : r.certificates()) out.push_back(FromProto(c));
  return out;
}

v1::ListMinistryCertificatesRequest ToListRequest(
    const std::string& environment, const PageRequest& page) {
  v1::ListMinistryCertificatesRequest out;
  SetPage(page, &out);
  out.set_environment(environment);
  return out;
}

Page<MinistryCertificate> FromProto(
    const v1::ListMinistryCertificatesResponse& page) {
  Page<MinistryCertificate> out{.items = {},
                                .next_page_token = page.next_page_token()};
  out.items.reserve(page.certificates_size());
  for (const auto& c : page.certificates()) out.items.push_back(FromProto(c));
  return out;
}

v1::ListMinistryCertificatesResponse ToProto(
    const std::vector<MinistryCertificate>& certificates) {
  v1::ListMinistryCertificatesResponse out;
  for (const auto& c : certificates) *out.add_certificates() = ToProto(c);
  return out;
}

}  // namespace sejf::client
