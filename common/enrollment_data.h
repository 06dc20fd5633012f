// KSeF enrollment data (`GET /certificates/enrollments/data`,
// ksef-protocol.md §6.2): the fields KSeF wants in a certificate request's
// subject, and the JSON KSeF returns them in. Whoever reads that JSON (the
// `sejf` CLI from a file; later the broker from KSeF) parses it here;
// signer/x509/enrollment_data.h builds and judges the subject from it.
//
// Thread-safety: plain values and functions without shared state.
#ifndef SEJF_COMMON_ENROLLMENT_DATA_H_
#define SEJF_COMMON_ENROLLMENT_DATA_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf {

// The fields of CertificateEnrollmentDataResponse; "" for a field that is
// absent or null.
struct EnrollmentData {
  std::string common_name;              // commonName (required by KSeF)
  std::string country_name;             // countryName (required by KSeF)
  std::string given_name;               // givenName
  std::string surname;                  // surname
  std::string serial_number;            // serialNumber
  std::string unique_identifier;        // uniqueIdentifier
  std::string organization_name;        // organizationName
  std::string organization_identifier;  // organizationIdentifier

  friend bool operator==(const EnrollmentData&,
                         const EnrollmentData&) = default;
};

// Parses the JSON response body: an object whose known fields are strings
// or null; unknown fields are ignored (later API versions may add some).
// INVALID_ARGUMENT for malformed JSON (with the parser's position), a body
// that is not an object, or a known field that is neither string nor null
// (naming the field).
absl::StatusOr<EnrollmentData> ParseEnrollmentDataJson(absl::string_view json);

}  // namespace sejf

#endif  // SEJF_COMMON_ENROLLMENT_DATA_H_
