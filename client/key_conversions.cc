#include "client/key_conversions.h"

#include <type_traits>
#include <utility>

#include "client/common_conversions.h"

namespace sejf::client {
namespace {

constexpr std::pair<KeyAlgorithm, v1::KeyAlgorithm> kAlgorithms[] = {
    {KeyAlgorithm::kEcP256, v1::KEY_ALGORITHM_EC_P256},
    {KeyAlgorithm::kRsa2048, v1::KEY_ALGORITHM_RSA_2048},
};

constexpr std::pair<KeyUsage, v1::KeyUsage> kUsages[] = {
    {KeyUsage::kAuthentication, v1::KEY_USAGE_AUTHENTICATION},
    {KeyUsage::kOffline, v1::KEY_USAGE_OFFLINE},
};

}  // namespace

// File-local conversions: static rather than in the unnamed namespace, so
// they overload the public ones instead of hiding them.
static v1::KeyUsage ToProto(KeyUsage usage) {
  return Convert(kUsages, usage, v1::KEY_USAGE_UNSPECIFIED);
}

static Certificate FromProto(const v1::Certificate& c) {
  return Certificate{.der = c.der(),
                     .pem = c.pem(),
                     .subject = c.subject(),
                     .issuer = c.issuer(),
                     .serial_number = c.serial_number(),
                     .not_before = FromProto(c.not_before()),
                     .not_after = FromProto(c.not_after()),
                     .sha256_fingerprint = c.sha256_fingerprint()};
}

static v1::Certificate ToProto(const Certificate& c) {
  v1::Certificate out;
  out.set_der(c.der);
  out.set_pem(c.pem);
  out.set_subject(c.subject);
  out.set_issuer(c.issuer);
  out.set_serial_number(c.serial_number);
  *out.mutable_not_before() = ToProto(c.not_before);
  *out.mutable_not_after() = ToProto(c.not_after);
  out.set_sha256_fingerprint(c.sha256_fingerprint);
  return out;
}

static v1::EnrollmentData ToProto(const EnrollmentData& e) {
  v1::EnrollmentData out;
  out.set_common_name(e.common_name);
  out.set_country_name(e.country_name);
  out.set_given_name(e.given_name);
  out.set_surname(e.surname);
  out.set_serial_number(e.serial_number);
  out.set_unique_identifier(e.unique_identifier);
  out.set_organization_name(e.organization_name);
  out.set_organization_identifier(e.organization_identifier);
  return out;
}

Key FromProto(const v1::Key& key) {
  Key out{.name = key.name(),
          .algorithm = ConvertBack(kAlgorithms, key.algorithm(),
                                   KeyAlgorithm::kUnspecified),
          .usage = ConvertBack(kUsages, key.usage(), KeyUsage::kUnspecified),
          .state = FromProto(key.state()),
          .create_time = FromProto(key.create_time()),
          .pkcs11_uri = key.pkcs11_uri(),
          .public_key_der = key.public_key_der(),
          .certificate = std::nullopt,
          .chain_der = {key.chain_der().begin(), key.chain_der().end()}};
  if (key.has_certificate()) out.certificate = FromProto(key.certificate());
  return out;
}

v1::Key ToProto(const Key& key) {
  v1::Key out;
  out.set_name(key.name);
  out.set_algorithm(
      Convert(kAlgorithms, key.algorithm, v1::KEY_ALGORITHM_UNSPECIFIED));
  out.set_usage(ToProto(key.usage));
  out.set_state(ToProto(key.state));
  *out.mutable_create_time() = ToProto(key.create_time);
  out.set_pkcs11_uri(key.pkcs11_uri);
  out.set_public_key_der(key.public_key_der);
  if (key.certificate.has_value()) {
    *out.mutable_certificate() = ToProto(*key.certificate);
  }
  for (const std::string& der : key.chain_der) out.add_chain_der(der);
  return out;
}

v1::GenerateKeyRequest ToProto(const NewKey& key) {
  v1::GenerateKeyRequest out;
  out.set_key_id(key.key_id);
  out.set_algorithm(
      Convert(kAlgorithms, key.algorithm, v1::KEY_ALGORITHM_UNSPECIFIED));
  out.set_usage(ToProto(key.usage));
  return out;
}

v1::ListKeysRequest ToProto(const KeyFilter& filter, const PageRequest& page) {
  v1::ListKeysRequest out;
  SetPage(page, &out);
  out.set_usage(filter.usage.has_value() ? ToProto(*filter.usage)
                                         : v1::KEY_USAGE_UNSPECIFIED);
  out.set_state(ToProto(filter.state));
  out.set_expiring_within_days(filter.expiring_within_days);
  return out;
}

Page<Key> FromProto(const v1::ListKeysResponse& page) {
  Page<Key> out{.items = {}, .next_page_token = page.next_page_token()};
  out.items.reserve(page.keys_size());
  for (const v1::Key& key : page.keys()) out.items.push_back(FromProto(key));
  return out;
}

v1::ListKeysResponse ToProto(const std::vector<Key>& keys) {
  v1::ListKeysResponse out;
  for (const Key& key : keys) *out.add_keys() = ToProto(key);
  return out;
}

v1::CreateCsrRequest ToProto(const std::string& name,
                             const CsrSubject& subject) {
  v1::CreateCsrRequest out;
  out.set_name(name);
  std::visit(
      [&out](const auto& s) {
        if constexpr (std::is_same_v<std::decay_t<decltype(s)>,
                                     EnrollmentData>) {
          *out.mutable_enrollment_data() = ToProto(s);
        } else {
          out.set_subject(s);
        }
      },
      subject);
  return out;
}

Csr FromProto(const v1::CreateCsrResponse& csr) {
  return Csr{.pem = csr.csr_pem(), .der = csr.csr_der()};
}

}  // namespace sejf::client
