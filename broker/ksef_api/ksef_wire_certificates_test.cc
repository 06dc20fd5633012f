#include "broker/ksef_api/ksef_wire_certificates.h"

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker::wire {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The OpenAPI examples' shapes (shared/ksef/open-api.json).
TEST(KsefWireCertificatesTest, ParsesLimits) {
  absl::StatusOr<CertificateLimits> limits = ParseCertificateLimits(
      R"({"canRequest": true, "enrollment": {"limit": 300, "remaining": 299},
          "certificate": {"limit": 100, "remaining": 0}})");
  ASSERT_TRUE(limits.ok()) << limits.status();
  EXPECT_TRUE(limits->can_request);
  EXPECT_EQ(limits->enrollment_remaining, 299);
  EXPECT_EQ(limits->certificate_remaining, 0);
  absl::Status bad =
      ParseCertificateLimits(R"({"canRequest": true, "enrollment": {},
                                      "certificate": {}})")
          .status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("enrollment.limit"));
}

TEST(KsefWireCertificatesTest, EnrollmentDataNeedsCommonAndCountryName) {
  absl::StatusOr<EnrollmentData> data = ParseCertificateEnrollmentData(
      R"({"commonName": "Jan Kowalski", "countryName": "PL",
          "serialNumber": "TINPL-5265877635", "givenName": null})");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->serial_number, "TINPL-5265877635");
  EXPECT_THAT(ParseCertificateEnrollmentData(R"({"commonName": "X"})")
                  .status()
                  .message(),
              HasSubstr("countryName"));
}

TEST(KsefWireCertificatesTest, EnrollmentStatusHasTheSerialWhenIssued) {
  absl::StatusOr<CertificateEnrollmentStatus> s =
      ParseCertificateEnrollmentStatus(
          R"({"requestDate": "2025-10-11T12:23:56.0154302+00:00",
              "status": {"code": 200, "description": "Wniosek obsłużony"},
              "certificateSerialNumber": "0321C82DA41B4362"})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->serial_number, "0321C82DA41B4362");
  s = ParseCertificateEnrollmentStatus(
      R"({"status": {"code": 400, "description": "Wniosek odrzucony",
          "details": ["Klucz publiczny został już certyfikowany"]}})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->details, ElementsAre(HasSubstr("Klucz publiczny")));
  // Issued without a serial, or a serial not of KSeF's form: not the shape.
  EXPECT_FALSE(
      ParseCertificateEnrollmentStatus(R"({"status": {"code": 200}})").ok());
  EXPECT_FALSE(ParseCertificateEnrollmentStatus(
                   R"({"status": {"code": 200},
                       "certificateSerialNumber": "0321c82da41b4362"})")
                   .ok());
}

TEST(KsefWireCertificatesTest, RetrievedCertificatesAreDer) {
  const std::string der = "\x30\x03\x02\x01\x01";
  nlohmann::json body = {{"certificates",
                          {{{"certificate", absl::Base64Escape(der)},
                            {"certificateName", "sejf-acme"},
                            {"certificateSerialNumber", "0321C82DA41B4362"},
                            {"certificateType", "Offline"}}}}};
  absl::StatusOr<std::vector<RetrievedCertificate>> certs =
      ParseRetrievedCertificates(body.dump());
  ASSERT_TRUE(certs.ok()) << certs.status();
  ASSERT_EQ(certs->size(), 1u);
  EXPECT_EQ((*certs)[0].der, der);
  EXPECT_EQ((*certs)[0].type, KsefCertificateType::kOffline);
  body["certificates"][0]["certificate"] = "not base64!";
  EXPECT_FALSE(ParseRetrievedCertificates(body.dump()).ok());
}

TEST(KsefWireCertificatesTest, QueryPage) {
  absl::StatusOr<CertificatePage> page = ParseCertificatePage(
      R"({"certificates": [{"certificateSerialNumber": "018209160C631F1E",
          "name": "Certyfikat 1", "type": "Authentication",
          "commonName": "Jan Kowalski", "status": "Revoked",
          "subjectIdentifier": {"type": "Nip", "value": "5265877635"},
          "validFrom": "2025-08-24T14:15:22+00:00",
          "validTo": "2027-08-24T14:15:22+00:00",
          "requestDate": "2025-08-24T14:15:22+00:00"}], "hasMore": false})");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->certificates.size(), 1u);
  EXPECT_EQ(page->certificates[0].status, "Revoked");
  EXPECT_EQ(page->certificates[0].valid_to, absl::FromUnixSeconds(1819116922));
}

TEST(KsefWireCertificatesTest, RequestBodies) {
  nlohmann::json enroll = nlohmann::json::parse(
      EnrollmentRequestJson({.certificate_name = "sejf-acme",
                             .type = KsefCertificateType::kOffline,
                             .csr_der = std::string("\x30\x00", 2)}));
  EXPECT_EQ(enroll["certificateType"], "Offline");
  EXPECT_EQ(enroll["csr"], "MAA=");
  EXPECT_EQ(
      nlohmann::json::parse(RevokeRequestJson(
          CertificateRevocationReason::kKeyCompromise))["revocationReason"],
      "KeyCompromise");
  EXPECT_EQ(
      nlohmann::json::parse(QueryRequestJson(
          {.serial_number = "018209160C631F1E"}))["certificateSerialNumber"],
      "018209160C631F1E");
}

}  // namespace
}  // namespace sejf::broker::wire
