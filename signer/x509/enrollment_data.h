// KSeF enrollment data (`GET /certificates/enrollments/data`,
// ksef-protocol.md §6.2): the subject a KSeF certificate request must carry.
// Clients read the JSON (client/enrollment_data.h) and send the fields;
// this builds and judges the subject.
//
// Thread-safety: plain values and functions without shared state.
#ifndef SEJF_SIGNER_X509_ENROLLMENT_DATA_H_
#define SEJF_SIGNER_X509_ENROLLMENT_DATA_H_

#include <string>

#include "absl/status/statusor.h"
#include "signer/x509/distinguished_name.h"

namespace sejf::signer {

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

// The subject for a KSeF CSR, empty fields left out, in this fixed order
// (the order of the KSeF C# SDK's CreateSubjectDistinguishedName; KSeF
// compares attribute values, not their order):
//
//   CN, SN, GN, O, organizationIdentifier, C, serialNumber, uniqueIdentifier
//
// INVALID_ARGUMENT when commonName or countryName is empty (KSeF always
// sends both) or a value breaks a DistinguishedName rule; the message names
// the JSON field.
absl::StatusOr<DistinguishedName> DistinguishedNameFromEnrollmentData(
    const EnrollmentData& data);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_ENROLLMENT_DATA_H_
