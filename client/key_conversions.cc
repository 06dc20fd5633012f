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

constexpr std::pair<EnrollmentState, v1::EnrollmentState> kEnrollmentStates[] =
    {
        {EnrollmentState::kSubmitting, v1::ENROLLMENT_STATE_SUBMITTING},
        {EnrollmentState::kPending, v1::ENROLLMENT_STATE_PENDING},
        {EnrollmentState::kCompleted, v1::ENROLLMENT_STATE_COMPLETED},
        {EnrollmentState::kFailed, v1::ENROLLMENT_STATE_FAILED},
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
  if (key.has_ksef_enrollment()) {
    const v1::KsefEnrollment& e = key.ksef_enrollment();
    KsefEnrollment enrollment{
        .reference_number = e.reference_number(),
        .state = ConvertBack(kEnrollmentStates, e.state(),
                             EnrollmentState::kUnspecified),
        .session = e.session(),
        .environment = e.environment(),
        .certificate_name = e.certificate_name(),
        .error = e.error(),
        .ksef_status = e.ksef_status(),
        .create_time = FromProto(e.create_time())};
    if (e.has_ksef_status_time()) {
      enrollment.ksef_status_time = FromProto(e.ksef_status_time());
    }
    out.ksef_enrollment = std::move(enrollment);
  }
  out.version = key.version();
  out.current_version = key.current_version();
  if (key.has_current_certificate()) {
    out.current_certificate = FromProto(key.current_certificate());
  }
  if (key.has_renew_before_days()) {
    out.renew_before_days = key.renew_before_days();
  }
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
  if (key.ksef_enrollment.has_value()) {
    const KsefEnrollment& e = *key.ksef_enrollment;
    v1::KsefEnrollment* p = out.mutable_ksef_enrollment();
    p->set_reference_number(e.reference_number);
    p->set_state(
        Convert(kEnrollmentStates, e.state, v1::ENROLLMENT_STATE_UNSPECIFIED));
    p->set_session(e.session);
    p->set_environment(e.environment);
    p->set_certificate_name(e.certificate_name);
    p->set_error(e.error);
    p->set_ksef_status(e.ksef_status);
    if (e.ksef_status_time != absl::InfinitePast()) {
      *p->mutable_ksef_status_time() = ToProto(e.ksef_status_time);
    }
    *p->mutable_create_time() = ToProto(e.create_time);
  }
  out.set_version(key.version);
  out.set_current_version(key.current_version);
  if (key.current_certificate.has_value()) {
    *out.mutable_current_certificate() = ToProto(*key.current_certificate);
  }
  if (key.renew_before_days.has_value()) {
    out.set_renew_before_days(*key.renew_before_days);
  }
  return out;
}

v1::EnrollKeyRequest ToProto(const EnrollKey& request) {
  v1::EnrollKeyRequest out;
  out.set_key_id(request.key_id);
  out.set_session(request.session);
  out.set_usage(ToProto(request.usage));
  out.set_algorithm(
      Convert(kAlgorithms, request.algorithm, v1::KEY_ALGORITHM_UNSPECIFIED));
  out.set_certificate_name(request.certificate_name);
  if (request.renew_before_days.has_value()) {
    out.set_renew_before_days(*request.renew_before_days);
  }
  return out;
}

v1::RevokeKeyRequest ToProto(const std::string& name,
                             const std::string& session,
                             RevocationReason reason, int version) {
  v1::RevokeKeyRequest out;
  out.set_name(name);
  out.set_version(version);
  out.set_session(session);
  out.set_reason(reason == RevocationReason::kKeyCompromise
                     ? v1::REVOCATION_REASON_KEY_COMPROMISE
                 : reason == RevocationReason::kSuperseded
                     ? v1::REVOCATION_REASON_SUPERSEDED
                     : v1::REVOCATION_REASON_UNSPECIFIED);
  return out;
}

std::vector<KeyVersion> FromProto(const v1::ListKeyVersionsResponse& response) {
  std::vector<KeyVersion> out;
  for (const v1::KeyVersion& v : response.versions()) {
    out.push_back({.version = v.version(),
                   .key = FromProto(v.key()),
                   .current = v.current()});
  }
  return out;
}

v1::ListKeyVersionsResponse ToProto(const std::vector<KeyVersion>& versions) {
  v1::ListKeyVersionsResponse out;
  for (const KeyVersion& v : versions) {
    v1::KeyVersion* p = out.add_versions();
    p->set_version(v.version);
    *p->mutable_key() = ToProto(v.key);
    p->set_current(v.current);
  }
  return out;
}

RevokedKey FromProto(const v1::RevokeKeyResponse& response) {
  return {.key = FromProto(response.key()),
          .closed_sessions = {response.closed_sessions().begin(),
                              response.closed_sessions().end()}};
}

v1::ImportKeyRequest ToProto(const KeyImportRequest& request) {
  v1::ImportKeyRequest out;
  out.set_key_id(request.key_id);
  out.set_certificate_chain(request.certificate_chain);
  out.set_wrapped_key(request.wrapped_key);
  out.set_usage(ToProto(request.usage));
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
