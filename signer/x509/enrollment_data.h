// KSeF enrollment data (`GET /certificates/enrollments/data`,
// ksef-protocol.md §6.2): the subject a KSeF certificate request must carry.
// The fields and their JSON are common/enrollment_data.h's; this builds and
// judges the subject.
//
// Thread-safety: plain values and functions without shared state.
#ifndef SEJF_SIGNER_X509_ENROLLMENT_DATA_H_
#define SEJF_SIGNER_X509_ENROLLMENT_DATA_H_

#include "absl/status/statusor.h"
#include "common/enrollment_data.h"
#include "signer/x509/distinguished_name.h"

namespace sejf::signer {

// The fields KSeF sends (common/enrollment_data.h).
using ::sejf::EnrollmentData;

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
