// KsefHttpApi's certificate endpoints (ksef-protocol.md §6.2, §3.8); their
// JSON is ksef_wire_certificates.h's.
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "broker/ksef_api/curl_transport.h"
#include "broker/ksef_api/ksef_http_api.h"
#include "broker/ksef_api/ksef_wire_certificates.h"
#include "common/status_macros.h"

namespace sejf::broker {
namespace {

constexpr std::size_t kMaxBearer = 16 * 1024;

absl::Status CheckAccess(const SecretBytes& bearer) {
  bool printable = !bearer.empty() && bearer.size() <= kMaxBearer;
  for (std::uint8_t c : bearer) printable = printable && c > 0x20 && c < 0x7f;
  if (!printable) {
    return absl::InvalidArgumentError(
        "the access token is empty, too long or not a printable token (a "
        "KSeF JWT)");
  }
  return absl::OkStatus();
}

absl::Status CheckReference(absl::string_view reference) {
  bool ok = reference.size() == 36;
  for (char c : reference) ok = ok && (absl::ascii_isalnum(c) || c == '-');
  if (!ok) {
    return absl::InvalidArgumentError(
        "reference number must be 36 letters, digits and '-' (as KSeF "
        "returned it, e.g. 20251010-EH-1B6C9EB000-4B15D3AEB9-89)");
  }
  return absl::OkStatus();
}

absl::Status CheckSerial(absl::string_view serial) {
  if (wire::IsKsefCertificateSerial(serial)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "a KSeF certificate serial number is 16 uppercase hex digits");
}

// The body as a string once `Parser` accepts it (Run reports a refusal as
// INTERNAL naming the endpoint); the caller parses it again.
template <auto Parser>
absl::StatusOr<std::string> Checked(const SecretBytes& body) {
  RETURN_IF_ERROR(Parser(SecretView(body)).status());
  return std::string(SecretView(body));
}

absl::StatusOr<std::monostate> NoBody(const SecretBytes&) {
  return std::monostate{};
}

absl::Status Both(absl::Status a, absl::Status b) { return a.ok() ? b : a; }

}  // namespace

absl::StatusOr<CertificateLimits> KsefHttpApi::CertificateLimitsOf(
    const SecretBytes& access) {
  static constexpr Endpoint kEndpoint{"GET /certificates/limits"};
  ASSIGN_OR_RETURN(std::string body,
                   Run<std::string>(kEndpoint,
                                    {.method = "GET",
                                     .url = Url("/certificates/limits"),
                                     .bearer = &access},
                                    &Checked<&wire::ParseCertificateLimits>,
                                    CheckAccess(access)));
  return wire::ParseCertificateLimits(body);
}

absl::StatusOr<EnrollmentData> KsefHttpApi::CertificateEnrollmentData(
    const SecretBytes& access) {
  static constexpr Endpoint kEndpoint{"GET /certificates/enrollments/data"};
  ASSIGN_OR_RETURN(
      std::string body,
      Run<std::string>(kEndpoint,
                       {.method = "GET",
                        .url = Url("/certificates/enrollments/data"),
                        .bearer = &access},
                       &Checked<&wire::ParseCertificateEnrollmentData>,
                       CheckAccess(access)));
  return wire::ParseCertificateEnrollmentData(body);
}

absl::StatusOr<CertificateEnrollmentAccepted> KsefHttpApi::EnrollCertificate(
    const SecretBytes& access, const CertificateEnrollmentRequest& request) {
  static constexpr Endpoint kEndpoint{
      "POST /certificates/enrollments", Repeat::kMakesSomething,
      "KSeF may have started an enrollment of this CSR (counted against the "
      "subject's enrollment limit) whose reference number never arrived: "
      "look for its certificate by name in KSeF's certificate list (POST "
      "/certificates/query) and revoke it there if it is issued, before "
      "enrolling again"};
  std::string json = wire::EnrollmentRequestJson(request);
  ASSIGN_OR_RETURN(
      std::string body,
      Run<std::string>(kEndpoint,
                       {.method = "POST",
                        .url = Url("/certificates/enrollments"),
                        .body = json,
                        .content_type = "application/json",
                        .bearer = &access},
                       &Checked<&wire::ParseEnrollmentReference>,
                       Both(CheckAccess(access),
                            request.csr_der.empty()
                                ? absl::InvalidArgumentError("the CSR is empty")
                                : absl::OkStatus())));
  ASSIGN_OR_RETURN(std::string reference, wire::ParseEnrollmentReference(body));
  return CertificateEnrollmentAccepted{.reference_number =
                                           std::move(reference)};
}

absl::StatusOr<CertificateEnrollmentStatus>
KsefHttpApi::GetCertificateEnrollment(const SecretBytes& access,
                                      absl::string_view reference_number) {
  static constexpr Endpoint kEndpoint{
      "GET /certificates/enrollments/{referenceNumber}"};
  absl::Status precheck =
      Both(CheckReference(reference_number), CheckAccess(access));
  ASSIGN_OR_RETURN(
      std::string body,
      Run<std::string>(
          kEndpoint,
          {.method = "GET",
           .url = Url(absl::StrCat("/certificates/enrollments/",
                                   precheck.ok() ? reference_number : "")),
           .bearer = &access},
          &Checked<&wire::ParseCertificateEnrollmentStatus>, precheck,
          precheck.ok() ? reference_number : ""));
  return wire::ParseCertificateEnrollmentStatus(body);
}

absl::StatusOr<std::vector<RetrievedCertificate>>
KsefHttpApi::RetrieveCertificates(const SecretBytes& access,
                                  const std::vector<std::string>& serials) {
  static constexpr Endpoint kEndpoint{"POST /certificates/retrieve"};
  absl::Status precheck = CheckAccess(access);
  if (serials.empty() || serials.size() > 10) {
    precheck = absl::InvalidArgumentError("1 to 10 serial numbers");
  }
  for (const std::string& serial : serials) {
    precheck = Both(precheck, CheckSerial(serial));
  }
  std::string json = wire::RetrieveRequestJson(serials);
  ASSIGN_OR_RETURN(
      std::string body,
      Run<std::string>(kEndpoint,
                       {.method = "POST",
                        .url = Url("/certificates/retrieve"),
                        .body = json,
                        .content_type = "application/json",
                        .bearer = &access},
                       &Checked<&wire::ParseRetrievedCertificates>, precheck));
  return wire::ParseRetrievedCertificates(body);
}

absl::Status KsefHttpApi::RevokeCertificate(
    const SecretBytes& access, absl::string_view serial_number,
    CertificateRevocationReason reason) {
  static constexpr Endpoint kEndpoint{
      "POST /certificates/{certificateSerialNumber}/revoke",
      Repeat::kSameEffect};
  absl::Status precheck = Both(CheckSerial(serial_number), CheckAccess(access));
  std::string json = wire::RevokeRequestJson(reason);
  return Run<std::monostate>(
             kEndpoint,
             {.method = "POST",
              .url = Url(absl::StrCat("/certificates/",
                                      precheck.ok() ? serial_number : "",
                                      "/revoke")),
              .body = json,
              .content_type = "application/json",
              .bearer = &access},
             &NoBody, precheck)
      .status();
}

absl::StatusOr<CertificatePage> KsefHttpApi::QueryCertificates(
    const SecretBytes& access, const CertificateQuery& query) {
  static constexpr Endpoint kEndpoint{"POST /certificates/query"};
  absl::Status precheck = CheckAccess(access);
  if (query.page_size < 10 || query.page_size > 50 || query.page_offset < 0) {
    precheck = absl::InvalidArgumentError(
        "page size must be 10..50 and the offset not negative");
  }
  if (!query.serial_number.empty()) {
    precheck = Both(precheck, CheckSerial(query.serial_number));
  }
  std::string json = wire::QueryRequestJson(query);
  ASSIGN_OR_RETURN(
      std::string body,
      Run<std::string>(kEndpoint,
                       {.method = "POST",
                        .url = Url(absl::StrCat(
                            "/certificates/query?pageSize=", query.page_size,
                            "&pageOffset=", query.page_offset)),
                        .body = json,
                        .content_type = "application/json",
                        .bearer = &access},
                       &Checked<&wire::ParseCertificatePage>, precheck));
  return wire::ParseCertificatePage(body);
}

absl::Status KsefHttpApi::CloseSession(const SecretBytes& access,
                                       absl::string_view reference_number) {
  static constexpr Endpoint kEndpoint{"DELETE /auth/sessions/{referenceNumber}",
                                      Repeat::kSameEffect};
  absl::Status precheck =
      Both(CheckReference(reference_number), CheckAccess(access));
  return Run<std::monostate>(
             kEndpoint,
             {.method = "DELETE",
              .url = Url(absl::StrCat("/auth/sessions/",
                                      precheck.ok() ? reference_number : "")),
              .bearer = &access},
             &NoBody, precheck, precheck.ok() ? reference_number : "")
      .status();
}

}  // namespace sejf::broker
