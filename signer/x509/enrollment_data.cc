#include "signer/x509/enrollment_data.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sejf::signer {
namespace {

struct Field {
  absl::string_view json_name;
  std::string EnrollmentData::*member;
  DnAttribute attribute;
};

// In the order the subject is built.
constexpr Field kFields[] = {
    {"commonName", &EnrollmentData::common_name, DnAttribute::kCommonName},
    {"surname", &EnrollmentData::surname, DnAttribute::kSurname},
    {"givenName", &EnrollmentData::given_name, DnAttribute::kGivenName},
    {"organizationName", &EnrollmentData::organization_name,
     DnAttribute::kOrganizationName},
    {"organizationIdentifier", &EnrollmentData::organization_identifier,
     DnAttribute::kOrganizationIdentifier},
    {"countryName", &EnrollmentData::country_name, DnAttribute::kCountryName},
    {"serialNumber", &EnrollmentData::serial_number,
     DnAttribute::kSerialNumber},
    {"uniqueIdentifier", &EnrollmentData::unique_identifier,
     DnAttribute::kUniqueIdentifier},
};

}  // namespace

absl::StatusOr<DistinguishedName> DistinguishedNameFromEnrollmentData(
    const EnrollmentData& data) {
  std::vector<DnEntry> entries;
  for (const Field& field : kFields) {
    const std::string& value = data.*field.member;
    if (value.empty()) {
      if (field.attribute == DnAttribute::kCommonName ||
          field.attribute == DnAttribute::kCountryName) {
        return absl::InvalidArgumentError(
            absl::StrCat("enrollment data lacks \"", field.json_name,
                         "\", which KSeF always sends; is this the body of GET "
                         "/certificates/enrollments/data?"));
      }
      continue;
    }
    if (absl::Status status = ValidateDnValue(field.attribute, value);
        !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("enrollment data field \"",
                                                     field.json_name,
                                                     "\": ", status.message()));
    }
    entries.push_back({field.attribute, value});
  }
  return DistinguishedName::FromEntries(std::move(entries));
}

}  // namespace sejf::signer
