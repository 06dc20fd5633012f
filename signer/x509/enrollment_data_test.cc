// Parsing the JSON is common/enrollment_data_test.cc's; here, the subject.
#include "signer/x509/enrollment_data.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::signer {
namespace {

using ::testing::HasSubstr;

TEST(EnrollmentDataTest, SubjectHasTheDocumentedOrderWithEmptyFieldsLeftOut) {
  EnrollmentData data;
  data.unique_identifier = "u-1";
  data.serial_number = "TINPL-5265877635";
  data.country_name = "PL";
  data.organization_identifier = "VATPL-5265877635";
  data.organization_name = "Kowalski sp. z o.o.";
  data.common_name = "Kowalski (uwierzytelnienie)";
  auto dn = DistinguishedNameFromEnrollmentData(data);
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_EQ(dn->ToString(),
            "CN=Kowalski (uwierzytelnienie),O=Kowalski sp. z o.o.,"
            "organizationIdentifier=VATPL-5265877635,C=PL,"
            "serialNumber=TINPL-5265877635,uniqueIdentifier=u-1");

  data = EnrollmentData();
  data.common_name = "Łucja Żak";
  data.country_name = "PL";
  data.given_name = "Łucja";
  data.surname = "Żak";
  dn = DistinguishedNameFromEnrollmentData(data);
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_EQ(dn->ToString(), "CN=Łucja Żak,SN=Żak,GN=Łucja,C=PL");
}

TEST(EnrollmentDataTest, JsonToSubjectEndToEnd) {
  auto data = ParseEnrollmentDataJson(
      R"({"countryName":"PL","commonName":"Firma, S.A.",)"
      R"("organizationName":"Firma, S.A.",)"
      R"("organizationIdentifier":"VATPL-5213814999","givenName":null})");
  ASSERT_TRUE(data.ok()) << data.status();
  auto dn = DistinguishedNameFromEnrollmentData(*data);
  ASSERT_TRUE(dn.ok()) << dn.status();
  EXPECT_EQ(dn->ToString(), R"(CN=Firma\, S.A.,O=Firma\, S.A.,)"
                            R"(organizationIdentifier=VATPL-5213814999,C=PL)");
}

TEST(EnrollmentDataTest, MissingCommonNameOrCountryIsNamed) {
  EnrollmentData data;
  data.country_name = "PL";
  auto dn = DistinguishedNameFromEnrollmentData(data);
  EXPECT_EQ(dn.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dn.status().message(), HasSubstr("lacks \"commonName\""));

  data = EnrollmentData();
  data.common_name = "Jan";
  dn = DistinguishedNameFromEnrollmentData(data);
  EXPECT_EQ(dn.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dn.status().message(), HasSubstr("lacks \"countryName\""));
}

TEST(EnrollmentDataTest, BadValueNamesTheJsonField) {
  EnrollmentData data;
  data.common_name = "Jan";
  data.country_name = "Polska";
  auto dn = DistinguishedNameFromEnrollmentData(data);
  EXPECT_EQ(dn.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dn.status().message(),
              HasSubstr("field \"countryName\": C must be a two-letter"));

  data.country_name = "PL";
  data.organization_name = std::string(65, 'x');
  dn = DistinguishedNameFromEnrollmentData(data);
  EXPECT_THAT(dn.status().message(),
              HasSubstr("field \"organizationName\": value of O has 65"));
}

}  // namespace
}  // namespace sejf::signer
