// KsefApi's certificate methods for implementations without them.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "broker/ksef_api/ksef_api.h"

namespace sejf::broker {
namespace {

absl::Status Unimplemented(absl::string_view endpoint) {
  return absl::UnimplementedError(
      absl::StrCat("this KSeF API does not implement ", endpoint));
}

}  // namespace

absl::StatusOr<CertificateLimits> KsefApi::CertificateLimitsOf(
    const SecretBytes&) {
  return Unimplemented("GET /certificates/limits");
}
absl::StatusOr<EnrollmentData> KsefApi::CertificateEnrollmentData(
    const SecretBytes&) {
  return Unimplemented("GET /certificates/enrollments/data");
}
absl::StatusOr<CertificateEnrollmentAccepted> KsefApi::EnrollCertificate(
    const CertificateEnrollmentRequest&, const SecretBytes&) {
  return Unimplemented("POST /certificates/enrollments");
}
absl::StatusOr<CertificateEnrollmentStatus> KsefApi::GetCertificateEnrollment(
    absl::string_view, const SecretBytes&) {
  return Unimplemented("GET /certificates/enrollments/{referenceNumber}");
}
absl::StatusOr<std::vector<RetrievedCertificate>> KsefApi::RetrieveCertificates(
    const std::vector<std::string>&, const SecretBytes&) {
  return Unimplemented("POST /certificates/retrieve");
}
absl::Status KsefApi::RevokeCertificate(absl::string_view,
                                        CertificateRevocationReason,
                                        const SecretBytes&) {
  return Unimplemented("POST /certificates/{certificateSerialNumber}/revoke");
}
absl::StatusOr<CertificatePage> KsefApi::QueryCertificates(
    const CertificateQuery&, const SecretBytes&) {
  return Unimplemented("POST /certificates/query");
}
absl::Status KsefApi::CloseSession(absl::string_view, const SecretBytes&) {
  return Unimplemented("DELETE /auth/sessions/{referenceNumber}");
}

}  // namespace sejf::broker
