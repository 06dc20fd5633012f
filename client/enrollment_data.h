// KSeF enrollment data (`GET /certificates/enrollments/data`,
// ksef-protocol.md §6.2) as a client reads it from the JSON KSeF returned,
// to send as CreateCsr's subject. sejfd builds the subject from it and
// judges every value; this only reads the JSON.
//
// Thread-safety: plain values and functions without shared state.
#ifndef SEJF_CLIENT_ENROLLMENT_DATA_H_
#define SEJF_CLIENT_ENROLLMENT_DATA_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::client {

// The fields of CertificateEnrollmentDataResponse; "" for a field that is
// absent or null.
struct EnrollmentData {
  std::string common_name;              // commonName
  std::string country_name;             // countryName
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

}  // namespace sejf::client

#endif  // SEJF_CLIENT_ENROLLMENT_DATA_H_
