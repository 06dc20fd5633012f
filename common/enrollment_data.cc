#include "common/enrollment_data.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace sejf {
namespace {

struct Field {
  absl::string_view json_name;
  std::string EnrollmentData::*member;
};

constexpr Field kFields[] = {
    {"commonName", &EnrollmentData::common_name},
    {"countryName", &EnrollmentData::country_name},
    {"givenName", &EnrollmentData::given_name},
    {"surname", &EnrollmentData::surname},
    {"serialNumber", &EnrollmentData::serial_number},
    {"uniqueIdentifier", &EnrollmentData::unique_identifier},
    {"organizationName", &EnrollmentData::organization_name},
    {"organizationIdentifier", &EnrollmentData::organization_identifier},
};

}  // namespace

absl::StatusOr<EnrollmentData> ParseEnrollmentDataJson(absl::string_view json) {
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(json.begin(), json.end());
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("enrollment data is not valid JSON: ", e.what()));
  }
  if (!body.is_object()) {
    return absl::InvalidArgumentError(
        "enrollment data must be a JSON object (the body of GET "
        "/certificates/enrollments/data)");
  }
  EnrollmentData data;
  for (const Field& field : kFields) {
    auto it = body.find(std::string(field.json_name));
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("enrollment data field \"", field.json_name,
                       "\" must be a string or null, not ", it->type_name()));
    }
    data.*field.member = it->get<std::string>();
  }
  return data;
}

}  // namespace sejf
