// KSeF's wire formats for the certificate endpoints (ksef-protocol.md §6.2;
// shared/ksef/open-api.json), the one place that knows their JSON:
//   200 GET  /certificates/limits            {canRequest, enrollment:{limit,
//                                             remaining}, certificate:{…}}
//   200 GET  /certificates/enrollments/data  CertificateEnrollmentDataResponse
//   POST     /certificates/enrollments       {certificateName,
//                                             certificateType, csr}
//   202                                      {referenceNumber, timestamp}
//   200 GET  /certificates/enrollments/{ref} {requestDate, status{code,
//                                             description, details?},
//                                             certificateSerialNumber?}
//   POST     /certificates/retrieve          {certificateSerialNumbers:[…]}
//   200                                      {certificates:[{certificate,
//                                             certificateName,
//                                             certificateSerialNumber,
//                                             certificateType}]}
//   POST     /certificates/{sn}/revoke       {revocationReason}
//   POST     /certificates/query             {certificateSerialNumber?,
//                                             status?}
//   200                                      {certificates:[…], hasMore}
// Nothing in these bodies is secret (the bearer travels in a header).
//
// Thread-safety: pure functions.
#ifndef SEJF_BROKER_KSEF_API_KSEF_WIRE_CERTIFICATES_H_
#define SEJF_BROKER_KSEF_API_KSEF_WIRE_CERTIFICATES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/ksef_api/ksef_api.h"

namespace sejf::broker::wire {

// "Authentication" / "Offline".
absl::string_view CertificateTypeName(KsefCertificateType type);
// "Unspecified" / "Superseded" / "KeyCompromise".
absl::string_view RevocationReasonName(CertificateRevocationReason reason);

// Serial numbers as KSeF writes them: 16 uppercase hex digits.
bool IsKsefCertificateSerial(absl::string_view serial);

std::string EnrollmentRequestJson(const CertificateEnrollmentRequest& request);
std::string RetrieveRequestJson(const std::vector<std::string>& serials);
std::string RevokeRequestJson(CertificateRevocationReason reason);
std::string QueryRequestJson(const CertificateQuery& query);

// Each returns INVALID_ARGUMENT naming the field that does not match the
// documented shape; the caller turns it into INTERNAL naming the endpoint.
absl::StatusOr<CertificateLimits> ParseCertificateLimits(
    absl::string_view body);
absl::StatusOr<EnrollmentData> ParseCertificateEnrollmentData(
    absl::string_view body);
absl::StatusOr<std::string> ParseEnrollmentReference(absl::string_view body);
absl::StatusOr<CertificateEnrollmentStatus> ParseCertificateEnrollmentStatus(
    absl::string_view body);
absl::StatusOr<std::vector<RetrievedCertificate>> ParseRetrievedCertificates(
    absl::string_view body);
absl::StatusOr<CertificatePage> ParseCertificatePage(absl::string_view body);

}  // namespace sejf::broker::wire

#endif  // SEJF_BROKER_KSEF_API_KSEF_WIRE_CERTIFICATES_H_
