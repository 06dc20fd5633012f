// FakeKsefApi's certificate endpoints (fake_ksef_api.h): KSeF's checks
// with OpenSSL calls of the fake's own, not sejf's x509 code.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/sessions/testing/fake_ksef_api.h"
#include "common/openssl_ptr.h"

namespace sejf::broker::testing {

struct FakeKsefApi::CertificateFakeState {
  EnrollmentData data = {.common_name = "Jan Kowalski",
                         .country_name = "PL",
                         .given_name = "",
                         .surname = "",
                         .serial_number = "TINPL-5265877635",
                         .unique_identifier = "",
                         .organization_name = "",
                         .organization_identifier = ""};
  int enrollments_remaining = 300;
  int enrollments_limit = 300;
  int certificates_remaining = 100;
  int certificates_limit = 100;
  int pending_polls = 1;
  EvpPkeyPtr ca_key;
  X509Ptr ca;
  struct Enrollment {
    std::string csr_der = {};
    KsefCertificateType type = KsefCertificateType::kAuthentication;
    std::string name = {};
    int polls = 0;
    std::string serial = {};  // once issued
    int refused = 0;          // 400 when the certificate limit was reached
  };
  std::map<std::string, Enrollment, std::less<>> enrollments;
  struct Issued {
    std::string der = {};
    std::string name = {};
    KsefCertificateType type = KsefCertificateType::kAuthentication;
    std::string status = "Active";
    absl::Time valid_from = {};
    absl::Time valid_to = {};
  };
  std::map<std::string, Issued, std::less<>> certificates;
  std::vector<std::string> revoked;
  std::vector<std::string> closed_sessions;
};

namespace {

std::string UpperHex(int bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  return absl::AsciiStrToUpper(absl::BytesToHexString(raw));
}

std::string Der(X509* cert) {
  int size = i2d_X509(cert, nullptr);
  std::string der(size > 0 ? size : 0, '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &p);
  return der;
}

// The (NID, value) pairs of `name`, sorted.
std::vector<std::pair<int, std::string>> Attributes(const X509_NAME* name) {
  std::vector<std::pair<int, std::string>> out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const ASN1_STRING* v = X509_NAME_ENTRY_get_data(e);
    out.emplace_back(
        OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)),
        std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                    ASN1_STRING_length(v)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<int, std::string>> Expected(const EnrollmentData& d) {
  std::vector<std::pair<int, std::string>> out;
  auto add = [&](int nid, const std::string& v) {
    if (!v.empty()) out.emplace_back(nid, v);
  };
  add(NID_commonName, d.common_name);
  add(NID_countryName, d.country_name);
  add(NID_givenName, d.given_name);
  add(NID_surname, d.surname);
  add(NID_serialNumber, d.serial_number);
  add(NID_x500UniqueIdentifier, d.unique_identifier);
  add(NID_organizationName, d.organization_name);
  add(NID_organizationIdentifier, d.organization_identifier);
  std::sort(out.begin(), out.end());
  return out;
}

void AddKeyUsage(X509* cert, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_key_usage, value));
  X509_add_ext(cert, ext.get(), -1);
}

}  // namespace

FakeKsefApi::CertificateFakeState& FakeKsefApi::Certs() {
  if (certs_ == nullptr) {
    certs_ = std::make_shared<CertificateFakeState>();
    certs_->ca_key.reset(EVP_EC_gen("P-256"));
    certs_->ca.reset(X509_new());
    X509* ca = certs_->ca.get();
    X509_set_version(ca, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(ca), 1);
    X509_NAME* name = X509_get_subject_name(ca);
    X509_NAME_add_entry_by_txt(
        name, "CN", MBSTRING_UTF8,
        reinterpret_cast<const unsigned char*>("TEST CCK KSeF (fake)"), -1, -1,
        0);
    X509_set_issuer_name(ca, name);
    X509_gmtime_adj(X509_getm_notBefore(ca), -3600);
    X509_gmtime_adj(X509_getm_notAfter(ca), 10L * 365 * 86400);
    X509_set_pubkey(ca, certs_->ca_key.get());
    X509_sign(ca, certs_->ca_key.get(), EVP_sha256());
  }
  return *certs_;
}

absl::Status FakeKsefApi::EnterWithAccess(absl::string_view endpoint,
                                          const SecretBytes& access) {
  if (absl::Status injected = Enter(endpoint); !injected.ok()) return injected;
  auto it = access_tokens_.find(std::string(SecretView(access)));
  if (it == access_tokens_.end() || it->second.second <= clock_->Now()) {
    return KsefHttpError(endpoint, 401);
  }
  return absl::OkStatus();
}

void FakeKsefApi::SetEnrollmentData(EnrollmentData data) {
  absl::MutexLock lock(&mu_);
  Certs().data = std::move(data);
}

void FakeKsefApi::SetCertificateLimits(int enrollments, int certificates) {
  absl::MutexLock lock(&mu_);
  Certs().enrollments_remaining = enrollments;
  Certs().certificates_remaining = certificates;
}

void FakeKsefApi::SetEnrollmentPendingPolls(int polls) {
  absl::MutexLock lock(&mu_);
  Certs().pending_polls = polls;
}

std::string FakeKsefApi::CertificateAuthorityPem() {
  absl::MutexLock lock(&mu_);
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), Certs().ca.get());
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size);
}

std::vector<std::string> FakeKsefApi::RevokedSerials() const {
  absl::MutexLock lock(&mu_);
  return certs_ == nullptr ? std::vector<std::string>() : certs_->revoked;
}

std::vector<std::string> FakeKsefApi::ClosedSessionReferences() const {
  absl::MutexLock lock(&mu_);
  return certs_ == nullptr ? std::vector<std::string>()
                           : certs_->closed_sessions;
}

absl::StatusOr<CertificateLimits> FakeKsefApi::CertificateLimitsOf(
    const SecretBytes& access) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnterWithAccess(kCertLimits, access); !s.ok()) return s;
  CertificateFakeState& c = Certs();
  return CertificateLimits{.can_request = c.enrollments_remaining > 0 &&
                                          c.certificates_remaining > 0,
                           .enrollment_limit = c.enrollments_limit,
                           .enrollment_remaining = c.enrollments_remaining,
                           .certificate_limit = c.certificates_limit,
                           .certificate_remaining = c.certificates_remaining};
}

absl::StatusOr<EnrollmentData> FakeKsefApi::CertificateEnrollmentData(
    const SecretBytes& access) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnterWithAccess(kCertData, access); !s.ok()) return s;
  return Certs().data;
}

absl::StatusOr<CertificateEnrollmentAccepted> FakeKsefApi::EnrollCertificate(
    const SecretBytes& access, const CertificateEnrollmentRequest& request) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnterWithAccess(kCertEnroll, access); !s.ok()) return s;
  CertificateFakeState& c = Certs();
  if (c.enrollments_remaining <= 0) {
    return KsefHttpError(kCertEnroll, 400, {25006});
  }
  const auto* p =
      reinterpret_cast<const unsigned char*>(request.csr_der.data());
  X509ReqPtr csr(d2i_X509_REQ(nullptr, &p, request.csr_der.size()));
  if (!csr) return KsefHttpError(kCertEnroll, 400, {25004});
  EVP_PKEY* key = X509_REQ_get0_pubkey(csr.get());
  if (key == nullptr || X509_REQ_verify(csr.get(), key) != 1) {
    return KsefHttpError(kCertEnroll, 400, {25004});
  }
  bool allowed = (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) == 2048);
  char group[64] = {};
  std::size_t group_len = 0;
  if (EVP_PKEY_is_a(key, "EC") &&
      EVP_PKEY_get_group_name(key, group, sizeof(group), &group_len) == 1) {
    allowed = std::string(group) == "prime256v1";
  }
  if (!allowed) return KsefHttpError(kCertEnroll, 400, {25010});
  if (Attributes(X509_REQ_get_subject_name(csr.get())) != Expected(c.data)) {
    return KsefHttpError(kCertEnroll, 400, {25003});
  }
  --c.enrollments_remaining;
  std::string reference = absl::StrCat(
      absl::FormatTime("%Y%m%d", clock_->Now(), absl::UTCTimeZone()), "-EH-",
      UpperHex(5), "-", UpperHex(5), "-", UpperHex(1));
  c.enrollments[reference] = {.csr_der = request.csr_der,
                              .type = request.type,
                              .name = request.certificate_name};
  return CertificateEnrollmentAccepted{.reference_number = reference};
}

absl::StatusOr<CertificateEnrollmentStatus>
FakeKsefApi::GetCertificateEnrollment(const SecretBytes& access,
                                      absl::string_view reference_number) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnterWithAccess(kCertEnrollStatus, access); !s.ok()) {
    return s;
  }
  CertificateFakeState& c = Certs();
  auto it = c.enrollments.find(reference_number);
  if (it == c.enrollments.end()) {
    return KsefHttpError(kCertEnrollStatus, 400, {25005});
  }
  CertificateFakeState::Enrollment& e = it->second;
  if (e.polls++ < c.pending_polls) {
    return CertificateEnrollmentStatus{.code = 100,
                                       .description = "Wniosek przyjęty"};
  }
  if (e.serial.empty() && e.refused == 0) {
    if (c.certificates_remaining <= 0) {
      e.refused = 400;
    } else {
      --c.certificates_remaining;
      const auto* p = reinterpret_cast<const unsigned char*>(e.csr_der.data());
      X509ReqPtr csr(d2i_X509_REQ(nullptr, &p, e.csr_der.size()));
      X509Ptr cert(X509_new());
      X509_set_version(cert.get(), 2);
      std::string serial;
      do {
        serial = UpperHex(8);
      } while (serial[0] == '0' || serial[0] >= '8');
      BIGNUM* bn = nullptr;
      BN_hex2bn(&bn, serial.c_str());
      BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
      BN_free(bn);
      X509_set_subject_name(cert.get(), X509_REQ_get_subject_name(csr.get()));
      X509_set_issuer_name(cert.get(), X509_get_subject_name(c.ca.get()));
      const absl::Time now = clock_->Now();
      // Dated by the fake's clock, so tests can age what was issued.
      time_t base = absl::ToTimeT(now);
      X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -300, &base);
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), 730, 0, &base);
      X509_set_pubkey(cert.get(), X509_REQ_get0_pubkey(csr.get()));
      AddKeyUsage(cert.get(), e.type == KsefCertificateType::kOffline
                                  ? "critical,nonRepudiation"
                                  : "critical,digitalSignature");
      X509_sign(cert.get(), c.ca_key.get(), EVP_sha256());
      e.serial = serial;
      c.certificates[serial] = {.der = Der(cert.get()),
                                .name = e.name,
                                .type = e.type,
                                .valid_from = now - absl::Minutes(5),
                                .valid_to = now + absl::Hours(24 * 730)};
    }
  }
  if (e.refused != 0) {
    return CertificateEnrollmentStatus{
        .code = 400,
        .description = "Wniosek odrzucony",
        .details = {"Osiągnięto limit certyfikatów."}};
  }
  return CertificateEnrollmentStatus{.code = 200,
                                     .description = "Wniosek obsłużony",
                                     .serial_number = e.serial};
}

absl::StatusOr<std::vector<RetrievedCertificate>>
FakeKsefApi::RetrieveCertificates(const SecretBytes& access,
                                  const std::vector<std::string>& serials) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnterWithAccess(kCertRetrieve, access); !s.ok())
    return s;
  std::vector<RetrievedCertificate> out;
  for (const std::string& serial : serials) {
    auto it = Certs().certificates.find(serial);
    if (it == Certs().certificates.end()) continue;
    out.push_back({.der = it->second.der,
                   .name = it->second.name,
                   .serial_number = serial,
                   .type = it->second.type});
  }
  return out;
}

absl::Status FakeKsefApi::RevokeCertificate(const SecretBytes& access,
                                            absl::string_view serial_number,
                                            CertificateRevocationReason) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnterWithAccess(kCertRevoke, access); !s.ok()) return s;
  auto it = Certs().certificates.find(serial_number);
  if (it == Certs().certificates.end()) {
    return KsefHttpError(kCertRevoke, 400, {25008});
  }
  if (it->second.status != "Active") {
    return KsefHttpError(kCertRevoke, 400, {25009});
  }
  it->second.status = "Revoked";
  Certs().revoked.push_back(std::string(serial_number));
  return absl::OkStatus();
}

absl::StatusOr<CertificatePage> FakeKsefApi::QueryCertificates(
    const SecretBytes& access, const CertificateQuery& query) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnterWithAccess(kCertQuery, access); !s.ok()) return s;
  CertificatePage page;
  for (const auto& [serial, c] : Certs().certificates) {
    if (!query.serial_number.empty() && serial != query.serial_number) {
      continue;
    }
    page.certificates.push_back({.serial_number = serial,
                                 .name = c.name,
                                 .type = c.type,
                                 .status = c.status,
                                 .valid_from = c.valid_from,
                                 .valid_to = c.valid_to});
  }
  return page;
}

absl::Status FakeKsefApi::CloseSession(const SecretBytes& access,
                                       absl::string_view reference_number) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnterWithAccess(kCloseSessionByRef, access); !s.ok()) {
    return s;
  }
  Certs().closed_sessions.push_back(std::string(reference_number));
  return absl::OkStatus();
}

}  // namespace sejf::broker::testing
