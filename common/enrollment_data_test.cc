#include "common/enrollment_data.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf {
namespace {

using ::testing::HasSubstr;

TEST(EnrollmentDataTest, ParsesTheKsefResponseLeavingNullsOut) {
  auto data = ParseEnrollmentDataJson(R"json({
    "commonName": "Jan Kowalski (uwierzytelnienie)",
    "countryName": "PL",
    "givenName": "Jan",
    "surname": "Kowalski",
    "serialNumber": "TINPL-5265877635",
    "uniqueIdentifier": null,
    "organizationName": null,
    "organizationIdentifier": null,
    "somethingNew": [1, 2, 3]
  })json");
  ASSERT_TRUE(data.ok()) << data.status();
  EnrollmentData expected;
  expected.common_name = "Jan Kowalski (uwierzytelnienie)";
  expected.country_name = "PL";
  expected.given_name = "Jan";
  expected.surname = "Kowalski";
  expected.serial_number = "TINPL-5265877635";
  EXPECT_EQ(*data, expected);
}

TEST(EnrollmentDataTest, ReadsEveryField) {
  auto data = ParseEnrollmentDataJson(
      R"({"commonName":"a","countryName":"b","givenName":"c","surname":"d",)"
      R"("serialNumber":"e","uniqueIdentifier":"f","organizationName":"g",)"
      R"("organizationIdentifier":"h"})");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, (EnrollmentData{.common_name = "a",
                                   .country_name = "b",
                                   .given_name = "c",
                                   .surname = "d",
                                   .serial_number = "e",
                                   .unique_identifier = "f",
                                   .organization_name = "g",
                                   .organization_identifier = "h"}));
}

TEST(EnrollmentDataTest, MalformedJsonIsInvalidArgument) {
  for (const char* bad : {"", "{", "{\"commonName\": }", "nope"}) {
    auto data = ParseEnrollmentDataJson(bad);
    EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(data.status().message(),
                HasSubstr("enrollment data is not valid JSON"));
  }
}

TEST(EnrollmentDataTest, NonObjectIsInvalidArgument) {
  auto data = ParseEnrollmentDataJson(R"(["commonName"])");
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(data.status().message(), HasSubstr("must be a JSON object"));
}

TEST(EnrollmentDataTest, FieldOfWrongTypeIsNamed) {
  auto data = ParseEnrollmentDataJson(
      R"({"commonName":"a","countryName":"PL","givenName":["Jan","Maria"]})");
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(data.status().message(),
              HasSubstr("field \"givenName\" must be a string or null, not "
                        "array"));
}

}  // namespace
}  // namespace sejf
