// KsefHttpApi's certificate endpoints against the scripted HTTPS responder:
// what each sends (method, path, bearer, body), what each answer becomes,
// and arguments refused before anything is sent.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/ksef_api/ksef_http_api.h"
#include "broker/ksef_api/testing/scripted_https_server.h"
#include "broker/ksef_api/testing/scripted_ksef_api_test.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace sejf::broker {
namespace {

using ::sejf::broker::testing::RecordedRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using json = nlohmann::json;

constexpr char kAccess[] = "eyJhbGciOiJIUzI1NiJ9.CERT-ACCESS-3c1d.c2ln";
constexpr char kEnrollment[] = "20251010-EH-1B6C9EB000-4B15D3AEB9-89";
constexpr char kSerial[] = "0321C82DA41B4362";

json Ok(json body, int status = 200) {
  return {{"status", status}, {"json", std::move(body)}};
}

class KsefHttpApiCertificatesTest : public testing::ScriptedKsefApiTest {};

TEST_F(KsefHttpApiCertificatesTest, EachEndpointSendsAndParsesItsShape) {
  const std::string der = "\x30\x03\x02\x01\x07";
  Serve({
      Ok({{"canRequest", true},
          {"enrollment", {{"limit", 300}, {"remaining", 12}}},
          {"certificate", {{"limit", 100}, {"remaining", 3}}}}),
      Ok({{"commonName", "Jan Kowalski"},
          {"countryName", "PL"},
          {"serialNumber", "TINPL-5265877635"}}),
      Ok({{"referenceNumber", kEnrollment},
          {"timestamp", "2025-10-10T12:00:00+00:00"}},
         202),
      Ok({{"requestDate", "2025-10-10T12:00:00+00:00"},
          {"status", {{"code", 200}, {"description", "Wniosek obsłużony"}}},
          {"certificateSerialNumber", kSerial}}),
      Ok({{"certificates",
           {{{"certificate", absl::Base64Escape(der)},
             {"certificateName", "sejf-acme"},
             {"certificateSerialNumber", kSerial},
             {"certificateType", "Authentication"}}}}}),
      Ok({{"certificates", json::array()}, {"hasMore", false}}),
      {{"status", 204}},
      {{"status", 204}},
  });
  auto api = Api();
  SecretBytes access = SecretFromView(kAccess);
  auto limits = api->CertificateLimitsOf(access);
  ASSERT_TRUE(limits.ok()) << limits.status();
  EXPECT_EQ(limits->certificate_remaining, 3);
  auto data = api->CertificateEnrollmentData(access);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->serial_number, "TINPL-5265877635");
  auto accepted = api->EnrollCertificate(
      access, {.certificate_name = "sejf-acme",
               .type = KsefCertificateType::kAuthentication,
               .csr_der = std::string("\x30\x00", 2)});
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->reference_number, kEnrollment);
  auto status = api->GetCertificateEnrollment(access, kEnrollment);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->serial_number, kSerial);
  auto certs = api->RetrieveCertificates(access, {kSerial});
  ASSERT_TRUE(certs.ok()) << certs.status();
  ASSERT_THAT(*certs, SizeIs(1));
  EXPECT_EQ((*certs)[0].der, der);
  auto page = api->QueryCertificates(access, {.serial_number = kSerial});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->certificates, IsEmpty());
  EXPECT_TRUE(
      api->RevokeCertificate(access, kSerial,
                             CertificateRevocationReason::kKeyCompromise)
          .ok());
  EXPECT_TRUE(
      api->CloseSession(access, "20250514-AU-2DFC46C000-3AC6D5877F-D4").ok());

  std::vector<RecordedRequest> r = server_->Requests();
  ASSERT_THAT(r, SizeIs(8));
  std::vector<std::string> lines;
  for (const RecordedRequest& request : r) {
    lines.push_back(request.method + " " + request.path);
    EXPECT_EQ(request.headers.at("authorization"),
              absl::StrCat("Bearer ", kAccess));
  }
  EXPECT_THAT(
      lines,
      ElementsAre(
          "GET /v2/certificates/limits",
          "GET /v2/certificates/enrollments/data",
          "POST /v2/certificates/enrollments",
          absl::StrCat("GET /v2/certificates/enrollments/", kEnrollment),
          "POST /v2/certificates/retrieve",
          "POST /v2/certificates/query?pageSize=50&pageOffset=0",
          absl::StrCat("POST /v2/certificates/", kSerial, "/revoke"),
          "DELETE /v2/auth/sessions/20250514-AU-2DFC46C000-3AC6D5877F-D4"));
  EXPECT_EQ(json::parse(r[2].body), json({{"certificateName", "sejf-acme"},
                                          {"certificateType", "Authentication"},
                                          {"csr", "MAA="}}));
  EXPECT_EQ(json::parse(r[4].body),
            json({{"certificateSerialNumbers", {kSerial}}}));
  EXPECT_EQ(json::parse(r[6].body),
            json({{"revocationReason", "KeyCompromise"}}));
  // The enrollment status call names its reference number for the audit.
  EXPECT_EQ(Calls()[3].reference_number, kEnrollment);
}

TEST_F(KsefHttpApiCertificatesTest,
       AlreadyRevokedIsFailedPreconditionWithTheCode) {
  json detail = {{"exceptionCode", 25009},
                 {"exceptionDescription", "Certyfikat jest już unieważniony."},
                 {"details", json::array()}};
  json body = {{"exception", {{"exceptionDetailList", json::array({detail})}}}};
  Serve({{{"status", 400}, {"json", body}}});
  absl::Status s =
      Api()->RevokeCertificate(SecretFromView(kAccess), kSerial,
                               CertificateRevocationReason::kUnspecified);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  ASSERT_TRUE(KsefErrorOf(s).has_value());
  EXPECT_THAT(KsefErrorOf(s)->exception_codes, ElementsAre(25009));
  EXPECT_THAT(s.message(), Not(HasSubstr(kAccess)));
}

TEST_F(KsefHttpApiCertificatesTest, BadArgumentsAreRefusedBeforeAnyRequest) {
  Serve({});
  auto api = Api();
  SecretBytes access = SecretFromView(kAccess);
  EXPECT_EQ(api->RevokeCertificate(access, "0321c82da41b4362",
                                   CertificateRevocationReason::kUnspecified)
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api->GetCertificateEnrollment(access, "../../x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api->RetrieveCertificates(access, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      api->EnrollCertificate(access, {.certificate_name = "x"}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api->CertificateLimitsOf(SecretFromView("")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server_->Requests(), IsEmpty());
}

}  // namespace
}  // namespace sejf::broker
