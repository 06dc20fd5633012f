// Which KSeF requests KsefHttpApi sends again (ksef_http_api.h, "Which
// calls are sent again"): a request that makes something in KSeF — here the
// certificate enrollment, the authentication submit — reaches the scripted
// server once unless KSeF provably did not act on it; reads and revocations
// are retried as before.
#include <memory>
#include <string>
#include <vector>

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
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using json = nlohmann::json;

constexpr char kAccess[] = "eyJhbGciOiJIUzI1NiJ9.REPEAT-ACCESS-91ab.c2ln";
constexpr char kEnrollment[] = "20251010-EH-1B6C9EB000-4B15D3AEB9-89";
constexpr char kSerial[] = "0321C82DA41B4362";

json Ok(json body, int status = 200) {
  return {{"status", status}, {"json", std::move(body)}};
}
json Accepted() {
  return Ok(
      {{"referenceNumber", kEnrollment}, {"timestamp", "2025-10-10T10:00:00Z"}},
      202);
}
json Status(int status, json headers = json::object()) {
  return {{"status", status}, {"headers", std::move(headers)}, {"body", ""}};
}

class KsefHttpApiRepeatTest : public testing::ScriptedKsefApiTest {
 protected:
  // Short back-offs: the rule under test is whether to send again.
  std::unique_ptr<KsefHttpApi> Api(absl::Duration timeout = absl::Seconds(10)) {
    KsefHttpApiSettings settings = Settings();
    settings.timeout = timeout;
    settings.backoff_base = absl::Milliseconds(10);
    settings.backoff_cap = absl::Milliseconds(20);
    return ScriptedKsefApiTest::Api(std::move(settings));
  }

  absl::StatusOr<CertificateEnrollmentAccepted> Enroll(KsefHttpApi& api) {
    return api.EnrollCertificate(access_,
                                 {.certificate_name = "sejf-acme",
                                  .type = KsefCertificateType::kAuthentication,
                                  .csr_der = std::string("\x30\x00", 2)});
  }

  // The enrollment POSTs the server received.
  int Enrollments() {
    int n = 0;
    for (const RecordedRequest& r : server_->Requests()) {
      n += r.method == "POST" && r.path == "/v2/certificates/enrollments";
    }
    return n;
  }

  static bool OutcomeUnknown(const absl::Status& status) {
    std::optional<KsefError> error = KsefErrorOf(status);
    return error.has_value() && error->outcome_unknown;
  }

  const SecretBytes access_ = SecretFromView(kAccess);
};

TEST_F(KsefHttpApiRepeatTest, EnrollmentWhoseAnswerIsCutOffIsSentOnce) {
  Serve({{{"drop", true}}, Accepted()});
  absl::Status status = Enroll(*Api()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(OutcomeUnknown(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("answer was lost"));
  EXPECT_THAT(status.message(), HasSubstr("certificate list"));
  EXPECT_THAT(status.message(), Not(HasSubstr(kAccess)));
  EXPECT_EQ(Enrollments(), 1);
}

TEST_F(KsefHttpApiRepeatTest, EnrollmentWhoseAnswerIsLateIsSentOnce) {
  // Answered after the 1 s per-attempt timeout: KSeF acted, sejf gave up.
  json late = Accepted();
  late["delay"] = 3.0;
  Serve({late, Accepted()});
  absl::Status status = Enroll(*Api(absl::Seconds(1))).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(OutcomeUnknown(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("timed out"));
  EXPECT_EQ(Enrollments(), 1);
}

TEST_F(KsefHttpApiRepeatTest, EnrollmentAfterAServerErrorIsNotSentAgain) {
  for (int code : {500, 502, 503, 504}) {
    SCOPED_TRACE(code);
    Serve({Status(code), Accepted()});
    absl::Status status = Enroll(*Api()).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_TRUE(OutcomeUnknown(status)) << status;
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("HTTP ", code)));
    EXPECT_THAT(status.message(), HasSubstr("not sent again"));
    EXPECT_EQ(Enrollments(), 1);
  }
}

TEST_F(KsefHttpApiRepeatTest, EnrollmentKsefDidNotTakeIsSentAgain) {
  // 429 and 503 with Retry-After: KSeF says it did not act.
  Serve({Status(429, {{"Retry-After", "2"}}),
         Status(503, {{"Retry-After", "1"}}), Accepted()});
  auto accepted = Enroll(*Api());
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->reference_number, kEnrollment);
  EXPECT_EQ(Enrollments(), 3);
  EXPECT_THAT(Sleeps(),
              ::testing::ElementsAre(absl::Seconds(2), absl::Seconds(1)));
}

TEST_F(KsefHttpApiRepeatTest,
       EnrollmentStillUnavailableAfterRetryAfterIsKnown) {
  Serve({Status(503, {{"Retry-After", "1"}}),
         Status(503, {{"Retry-After", "1"}}),
         Status(503, {{"Retry-After", "1"}}), Accepted()});
  absl::Status status = Enroll(*Api()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_FALSE(OutcomeUnknown(status)) << status;  // KSeF took none of them
  EXPECT_EQ(KsefErrorOf(status)->retry_after, absl::Seconds(1));
  EXPECT_EQ(Enrollments(), 3);
}

TEST_F(KsefHttpApiRepeatTest,
       EnrollmentIsSentAgainWhenNoConnectionCouldBeMade) {
  // Nothing listens: the request never left.
  absl::Status status = Enroll(*Api()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_FALSE(OutcomeUnknown(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("no answer after 3 attempts"));
}

TEST_F(KsefHttpApiRepeatTest, EnrollmentTravelsAloneOnAFreshConnection) {
  json limits = Ok({{"canRequest", true},
                    {"enrollment", {{"limit", 300}, {"remaining", 12}}},
                    {"certificate", {{"limit", 100}, {"remaining", 3}}}});
  Serve({limits, limits, Accepted(), limits});
  auto api = Api();
  ASSERT_TRUE(api->CertificateLimitsOf(access_).ok());
  ASSERT_TRUE(api->CertificateLimitsOf(access_).ok());
  ASSERT_TRUE(Enroll(*api).ok());
  ASSERT_TRUE(api->CertificateLimitsOf(access_).ok());
  std::vector<RecordedRequest> r = server_->Requests();
  ASSERT_THAT(r, SizeIs(4));
  EXPECT_EQ(r[0].client_port, r[1].client_port);  // kept alive
  EXPECT_NE(r[2].client_port, r[1].client_port);  // the enrollment: new…
  EXPECT_NE(r[3].client_port, r[2].client_port);  // …and closed after it
}

TEST_F(KsefHttpApiRepeatTest, AuthenticationSubmitIsNotSentAgainAfterALoss) {
  Serve({Status(500), Status(500)});
  auto api = Api();
  absl::Status xades = api->SubmitXadesSignature("<x/>").status();
  EXPECT_EQ(xades.code(), absl::StatusCode::kUnavailable) << xades;
  EXPECT_TRUE(OutcomeUnknown(xades));
  EXPECT_THAT(xades.message(), HasSubstr("from the challenge"));
  absl::Status token = api->SubmitKsefToken("{}").status();
  EXPECT_TRUE(OutcomeUnknown(token));
  EXPECT_THAT(server_->Requests(), SizeIs(2));  // one each
}

TEST_F(KsefHttpApiRepeatTest, ReadsAreStillRetriedAfterLostAnswers) {
  Serve({{{"drop", true}},
         Status(500),
         Ok({{"requestDate", "2025-10-10T10:00:00Z"},
             {"status", {{"code", 100}, {"description", "przyjęty"}}}})});
  auto status = Api()->GetCertificateEnrollment(access_, kEnrollment);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->code, 100);
  EXPECT_THAT(server_->Requests(), SizeIs(3));
}

TEST_F(KsefHttpApiRepeatTest, RevocationIsRetriedAndAnAmbiguousRefusalSaidSo) {
  json detail = {{"exceptionCode", 25009},
                 {"exceptionDescription", "Certyfikat jest już unieważniony."},
                 {"details", json::array()}};
  json body = {{"exception", {{"exceptionDetailList", json::array({detail})}}}};
  json already = {{"status", 400}, {"json", body}};
  Serve({{{"drop", true}}, already});
  absl::Status status = Api()->RevokeCertificate(
      access_, kSerial, CertificateRevocationReason::kUnspecified);
  // The first attempt may have revoked it: the refusal that followed is no
  // proof of failure.
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(HasKsefCode(status, 25009));
  EXPECT_FALSE(OutcomeUnknown(status));
  EXPECT_THAT(server_->Requests(), SizeIs(2));
}

}  // namespace
}  // namespace sejf::broker
