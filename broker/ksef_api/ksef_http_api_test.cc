// KsefHttpApi against a real local HTTPS server (scripted_https_server.py)
// with a test CA: what each endpoint sends, how each answer maps, retries,
// TLS trust, timeouts, and that no token reaches a message.
#include "broker/ksef_api/ksef_http_api.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "broker/ksef_api/curl_transport.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/ksef_api/ksef_http_api_directory.h"
#include "broker/ksef_api/testing/scripted_https_server.h"
#include "broker/ksef_api/testing/scripted_ksef_api_test.h"
#include "common/files.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker {
namespace {

using ::sejf::broker::testing::MakeServerCertificate;
using ::sejf::broker::testing::MakeTestCa;
using ::sejf::broker::testing::RecordedRequest;
using ::sejf::broker::testing::ScriptedHttpsServer;
using ::sejf::broker::testing::TestCertificate;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using json = nlohmann::json;

// Never a real token: the tests look for it in every message.
constexpr char kCanary[] =
    "eyJhbGciOiJIUzI1NiJ9.CANARY-TOKEN-7f3a.c2lnbmF0dXJl";
constexpr char kReference[] = "20250514-AU-2DFC46C000-3AC6D5877F-D4";

json TokenInfo(const std::string& token, const std::string& valid_until) {
  return {{"token", token}, {"validUntil", valid_until}};
}

json Ok(json body, int status = 200) {
  return {{"status", status}, {"json", std::move(body)}};
}

json ExceptionBody(int code, const std::string& description,
                   const std::string& detail) {
  return {{"exception",
           {{"exceptionDetailList",
             {{{"exceptionCode", code},
               {"exceptionDescription", description},
               {"details", {detail}}}}},
            {"serviceCode", "abc"},
            {"timestamp", "2025-07-11T12:23:56.0154302+00:00"}}}};
}

class KsefHttpApiTest : public testing::ScriptedKsefApiTest {};

TEST_F(KsefHttpApiTest, ChallengeIsAnUnauthenticatedPostAndItsAnswerParsed) {
  Serve({Ok({{"challenge", "20250514-CR-226FB7B000-3ACF9BE4C0-10"},
             {"timestamp", "2025-07-11T12:23:56.0154302+00:00"},
             {"timestampMs", 1752236636015},
             {"clientIp", "192.0.2.7"}})});
  auto challenge = Api()->Challenge();
  ASSERT_TRUE(challenge.ok()) << challenge.status();
  EXPECT_EQ(challenge->challenge, "20250514-CR-226FB7B000-3ACF9BE4C0-10");
  EXPECT_EQ(challenge->timestamp_ms, 1752236636015);
  EXPECT_EQ(absl::ToUnixMillis(challenge->timestamp), 1752236636015);
  EXPECT_EQ(challenge->client_ip, "192.0.2.7");
  std::vector<RecordedRequest> requests = Requests();
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v2/auth/challenge");
  EXPECT_EQ(requests[0].headers["accept"], "application/json");
  EXPECT_FALSE(requests[0].headers.contains("authorization"));
  EXPECT_FALSE(requests[0].headers.contains("content-type"));
  EXPECT_EQ(requests[0].headers["content-length"], "0");
  EXPECT_EQ(requests[0].body, "");
  KsefCall call = LastCall();
  EXPECT_EQ(call.endpoint, "POST /auth/challenge");
  EXPECT_EQ(call.environment, "test");
  EXPECT_EQ(call.http_status, 200);
  EXPECT_EQ(call.attempts, 1);
  EXPECT_TRUE(call.status.ok());
}

TEST_F(KsefHttpApiTest, XadesDocumentTravelsAsXmlByteForByte) {
  Serve({Ok({{"referenceNumber", kReference},
             {"authenticationToken",
              TokenInfo(kCanary, "2025-07-11T13:08:56.0154302+00:00")}},
            202)});
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<AuthTokenRequest "
      "xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\">\n  "
      "<Challenge>x</Challenge>\n</AuthTokenRequest>";
  auto init = Api()->SubmitXadesSignature(xml);
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_EQ(init->reference_number, kReference);
  EXPECT_EQ(SecretView(init->authentication_token.token), kCanary);
  EXPECT_EQ(init->authentication_token.valid_until,
            absl::FromUnixMillis(1752239336015) + absl::Nanoseconds(430200));
  std::vector<RecordedRequest> requests = Requests();
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v2/auth/xades-signature");
  EXPECT_EQ(requests[0].headers["content-type"], "application/xml");
  EXPECT_EQ(requests[0].body, xml);
  EXPECT_EQ(LastCall().reference_number, kReference);
}

TEST_F(KsefHttpApiTest, KsefTokenRequestTravelsAsJson) {
  Serve(
      {Ok({{"referenceNumber", kReference},
           {"authenticationToken", TokenInfo(kCanary, "2025-07-11T13:08:56Z")}},
          202)});
  std::string body = R"({"challenge":"c","encryptedToken":"AAAA"})";
  auto init = Api()->SubmitKsefToken(body);
  ASSERT_TRUE(init.ok()) << init.status();
  std::vector<RecordedRequest> requests = Requests();
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].path, "/v2/auth/ksef-token");
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  EXPECT_EQ(requests[0].body, body);
}

TEST_F(KsefHttpApiTest, BearerCallsCarryTheTokenGivenAndParseTheAnswers) {
  Serve({
      Ok({{"startDate", "2025-07-11T12:23:56Z"},
          {"authenticationMethod", "Token"},
          {"status",
           {{"code", 450},
            {"description", "Uwierzytelnianie zakończone niepowodzeniem"},
            {"details", {"Nieprawidłowy token"}}}}}),
      Ok({{"accessToken", TokenInfo("access.jwt.1", "2025-07-11T12:38:56Z")},
          {"refreshToken",
           TokenInfo("refresh.jwt.1", "2025-07-18T12:23:56Z")}}),
      Ok({{"accessToken", TokenInfo("access.jwt.2", "2025-07-11T12:53:56Z")}}),
      {{"status", 204}},
      Ok(json::array(
          {{{"certificate", "MIIB"}, {"usage", {"KsefTokenEncryption"}}}})),
  });
  auto api = Api();
  SecretBytes auth = SecretFromView("auth.jwt.0");
  auto status = api->GetAuthStatus(auth, kReference);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->code, 450);
  EXPECT_EQ(status->description, "Uwierzytelnianie zakończone niepowodzeniem");
  EXPECT_THAT(status->details, ElementsAre("Nieprawidłowy token"));
  EXPECT_EQ(LastCall().reference_number, kReference);

  auto tokens = api->Redeem(auth);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(SecretView(tokens->access_token.token), "access.jwt.1");
  EXPECT_EQ(SecretView(tokens->refresh_token.token), "refresh.jwt.1");
  EXPECT_EQ(tokens->refresh_token.valid_until,
            absl::FromUnixSeconds(1752841436));

  auto access = api->Refresh(tokens->refresh_token.token);
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(SecretView(access->token), "access.jwt.2");

  EXPECT_TRUE(api->CloseCurrentSession(tokens->refresh_token.token).ok());

  auto certificates = api->PublicKeyCertificates();
  ASSERT_TRUE(certificates.ok()) << certificates.status();
  EXPECT_THAT(*certificates, HasSubstr("KsefTokenEncryption"));

  std::vector<RecordedRequest> r = Requests();
  ASSERT_THAT(r, SizeIs(5));
  EXPECT_EQ(r[0].method + " " + r[0].path,
            absl::StrCat("GET /v2/auth/", kReference));
  EXPECT_EQ(r[0].headers["authorization"], "Bearer auth.jwt.0");
  EXPECT_EQ(r[1].method + " " + r[1].path, "POST /v2/auth/token/redeem");
  EXPECT_EQ(r[1].headers["authorization"], "Bearer auth.jwt.0");
  EXPECT_FALSE(r[1].headers.contains("content-type"));
  EXPECT_EQ(r[2].method + " " + r[2].path, "POST /v2/auth/token/refresh");
  EXPECT_EQ(r[2].headers["authorization"], "Bearer refresh.jwt.1");
  EXPECT_EQ(r[3].method + " " + r[3].path, "DELETE /v2/auth/sessions/current");
  EXPECT_EQ(r[3].headers["authorization"], "Bearer refresh.jwt.1");
  EXPECT_EQ(r[4].method + " " + r[4].path,
            "GET /v2/security/public-key-certificates");
  EXPECT_FALSE(r[4].headers.contains("authorization"));
  for (const RecordedRequest& request : r) {
    EXPECT_EQ(request.headers.at("accept"), "application/json");
  }
}

TEST_F(KsefHttpApiTest, ExceptionBodyIsFailedPreconditionWithKsefCodes) {
  Serve({{{"status", 400},
          {"json", ExceptionBody(21301, "Brak autoryzacji.",
                                 "Tokeny dla operacji uwierzytelniania "
                                 "zostały już pobrane.")}}});
  auto tokens = Api()->Redeem(SecretFromView("auth.jwt.0"));
  ASSERT_EQ(tokens.status().code(), absl::StatusCode::kFailedPrecondition)
      << tokens.status();
  EXPECT_TRUE(HasKsefCode(tokens.status(), 21301));
  EXPECT_EQ(KsefErrorOf(tokens.status())->http_status, 400);
  EXPECT_THAT(tokens.status().message(),
              HasSubstr("KSeF test POST /auth/token/redeem: HTTP 400: 21301 "
                        "Brak autoryzacji. (Tokeny dla operacji "
                        "uwierzytelniania zostały już pobrane.)"));
  EXPECT_THAT(LastCall().exception_codes, ElementsAre(21301));
  EXPECT_THAT(Requests(), SizeIs(1));
}

TEST_F(KsefHttpApiTest, ProblemDetailsCodesAreKeptToo) {
  Serve({{{"status", 400},
          {"headers", {{"Content-Type", "application/problem+json"}}},
          {"json",
           {{"title", "Bad Request"},
            {"status", 400},
            {"detail", "Błąd walidacji"},
            {"errors",
             {{{"code", 21470},
               {"description", "Nieznany klucz"},
               {"details",
                {"Klucz o identyfikatorze X nie jest wspierany."}}}}}}}}});
  absl::Status status = Api()->SubmitKsefToken("{}").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(HasKsefCode(status, 21470));
  EXPECT_THAT(status.message(), HasSubstr("21470 Nieznany klucz"));
}

TEST_F(KsefHttpApiTest, UnauthorizedAndForbiddenArePermissionDenied) {
  Serve({{{"status", 401},
          {"json",
           {{"title", "Unauthorized"},
            {"status", 401},
            {"detail", "Token wygasł."}}}},
         {{"status", 403},
          {"json",
           {{"title", "Forbidden"},
            {"status", 403},
            {"detail", "Adres IP niedozwolony."},
            {"reasonCode", "ip-not-allowed"}}}}});
  auto api = Api();
  absl::Status unauthorized =
      api->Refresh(SecretFromView("refresh.jwt")).status();
  EXPECT_EQ(unauthorized.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(KsefErrorOf(unauthorized)->http_status, 401);
  EXPECT_THAT(unauthorized.message(),
              HasSubstr("HTTP 401: Unauthorized: Token wygasł."));
  absl::Status forbidden =
      api->CloseCurrentSession(SecretFromView("access.jwt"));
  EXPECT_EQ(forbidden.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(forbidden.message(), HasSubstr("[ip-not-allowed]"));
  EXPECT_THAT(Requests(), SizeIs(2));  // neither retried
}

TEST_F(KsefHttpApiTest, ServerErrorsAreRetriedWithBackoffThenUnavailable) {
  Serve({{{"status", 503}, {"body", "busy"}},
         {{"status", 502}, {"body", ""}},
         {{"status", 500}, {"body", ""}}});
  absl::Status status = Api()->Challenge().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(KsefErrorOf(status)->http_status, 500);
  EXPECT_THAT(status.message(), HasSubstr("HTTP 500"));
  EXPECT_THAT(status.message(), HasSubstr("after 3 attempts"));
  EXPECT_THAT(Requests(), SizeIs(3));
  std::vector<absl::Duration> sleeps = Sleeps();
  ASSERT_THAT(sleeps, SizeIs(2));
  // Full jitter within [base/2, base], then [2·base/2, 2·base].
  EXPECT_GE(sleeps[0], absl::Milliseconds(50));
  EXPECT_LE(sleeps[0], absl::Milliseconds(100));
  EXPECT_GE(sleeps[1], absl::Milliseconds(100));
  EXPECT_LE(sleeps[1], absl::Milliseconds(200));
  EXPECT_EQ(LastCall().attempts, 3);
}

TEST_F(KsefHttpApiTest, RequestsWaitForTheirSlotAtTheConfiguredRate) {
  const nlohmann::json challenge = {
      {"challenge", "20250514-CR-226FB7B000-3ACF9BE4C0-10"},
      {"timestamp", "2025-07-11T12:23:56.0154302+00:00"},
      {"timestampMs", 1752236636015},
      {"clientIp", "192.0.2.7"}};
  Serve({Ok(challenge), Ok(challenge), Ok(challenge)});
  KsefHttpApiSettings settings = Settings();
  settings.max_requests_per_second = 0.1;  // one slot every 10 s
  settings.timeout = absl::Seconds(25);    // the longest wait for a slot
  auto api = Api(settings);
  ASSERT_TRUE(api->Challenge().ok());
  ASSERT_TRUE(api->Challenge().ok());
  // The recorded waits do not pass: the third slot is 20 s away.
  ASSERT_TRUE(api->Challenge().ok());
  std::vector<absl::Duration> sleeps = Sleeps();
  ASSERT_THAT(sleeps, SizeIs(2));
  EXPECT_GT(sleeps[0], absl::Seconds(9));
  EXPECT_LE(sleeps[0], absl::Seconds(10));
  EXPECT_GT(sleeps[1], absl::Seconds(19));
  EXPECT_LE(sleeps[1], absl::Seconds(20));
  // A fourth slot would be 30 s away, beyond the 25 s timeout: refused
  // without a request.
  absl::Status refused = api->Challenge().status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("queue of KSeF requests"));
  EXPECT_THAT(Requests(), SizeIs(3));
}

TEST_F(KsefHttpApiTest, ARetryThatSucceedsIsOk) {
  Serve({{{"status", 503}, {"body", ""}},
         Ok({{"accessToken",
              TokenInfo("access.jwt.2", "2025-07-11T12:53:56Z")}})});
  auto access = Api()->Refresh(SecretFromView("refresh.jwt"));
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(LastCall().attempts, 2);
  EXPECT_EQ(LastCall().http_status, 200);
}

TEST_F(KsefHttpApiTest, TooManyRequestsWaitsRetryAfterThenResourceExhausted) {
  json limited = {
      {"status", 429},
      {"headers", {{"Retry-After", "2"}}},
      {"json",
       {{"status",
         {{"code", 429},
          {"description", "Too Many Requests"},
          {"details", {"Przekroczono limit 60 żądań na sekundę."}}}}}}};
  Serve({limited, limited});
  KsefHttpApiSettings settings = Settings();
  settings.max_attempts = 2;
  absl::Status status = Api(settings)->Challenge().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(KsefErrorOf(status)->retry_after, absl::Seconds(2));
  EXPECT_EQ(KsefErrorOf(status)->http_status, 429);
  EXPECT_THAT(status.message(), HasSubstr("Too Many Requests"));
  EXPECT_THAT(Sleeps(), ElementsAre(absl::Seconds(2)));
  EXPECT_THAT(Requests(), SizeIs(2));
}

TEST_F(KsefHttpApiTest, RetryAfterBeyondTheCapIsNotWaitedFor) {
  Serve(
      {{{"status", 429}, {"headers", {{"Retry-After", "600"}}}, {"body", ""}}});
  absl::Status status = Api()->Challenge().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(KsefErrorOf(status)->retry_after, absl::Seconds(600));
  EXPECT_THAT(Sleeps(), IsEmpty());
  EXPECT_THAT(Requests(), SizeIs(1));
}

TEST_F(KsefHttpApiTest, CertificateNotFromTheCaFileIsRefused) {
  TestCertificate other_ca = MakeTestCa(dir_, "Other CA");
  Serve({Ok(json::array())});
  KsefHttpApiSettings settings = Settings();
  settings.ca_file = other_ca.cert_path;
  absl::Status status = Api(settings)->PublicKeyCertificates().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("TLS refused"));
  EXPECT_THAT(status.message(), HasSubstr(other_ca.cert_path));
  EXPECT_EQ(LastCall().attempts, 1);  // not retried
  EXPECT_THAT(Requests(), IsEmpty());

  // The system store alone does not know the test CA either.
  settings.ca_file = "";
  EXPECT_EQ(Api(settings)->PublicKeyCertificates().status().code(),
            absl::StatusCode::kUnavailable);

  EXPECT_TRUE(Api()->PublicKeyCertificates().ok());
  EXPECT_THAT(Requests(), SizeIs(1));
}

TEST_F(KsefHttpApiTest, TheSystemBundleIsLibcurlsOwn) {
  // What a ca_file is added to (Debian: /etc/ssl/certs/ca-certificates.crt).
  std::string bundle = CurlDefaultCaBundle();
  ASSERT_FALSE(bundle.empty());
  EXPECT_TRUE(PathExists(bundle)) << bundle;
}

TEST_F(KsefHttpApiTest, SystemStoreAndCaFileAreTrustedTogether) {
  // A stand-in for the system bundle: a server under a "public" CA is still
  // trusted when the environment adds its own CA file.
  TestCertificate public_ca = MakeTestCa(dir_, "Public CA");
  TestCertificate public_cert =
      MakeServerCertificate(dir_, public_ca, "public-host");
  ScriptedHttpsServer public_server(dir_, public_cert,
                                    json::array({Ok(json::array())}));
  Serve({Ok(json::array())});

  KsefHttpApiSettings settings = Settings();
  settings.system_ca_file = public_ca.cert_path;
  EXPECT_TRUE(Api(settings)->PublicKeyCertificates().ok());
  settings.base_url = public_server.BaseUrl();
  EXPECT_TRUE(Api(settings)->PublicKeyCertificates().ok());
}

TEST_F(KsefHttpApiTest, SlowAnswersTimeOutWithinTheBound) {
  Serve({{{"delay", 30}, {"status", 200}, {"body", "{}"}},
         {{"delay", 30}, {"status", 200}, {"body", "{}"}}});
  KsefHttpApiSettings settings = Settings();
  settings.timeout = absl::Milliseconds(500);
  settings.max_attempts = 2;
  absl::Status status = Api(settings)->Challenge().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("timed out"));
  EXPECT_EQ(KsefErrorOf(status)->http_status, 0);
  EXPECT_EQ(LastCall().attempts, 2);
  EXPECT_LT(LastCall().duration, absl::Seconds(30));  // not the server's delay
}

TEST_F(KsefHttpApiTest, RedeemIsNotRepeatedAfterAServerError) {
  Serve({{{"status", 503}, {"body", ""}},
         Ok({{"accessToken", TokenInfo("a", "2025-07-11T12:53:56Z")},
             {"refreshToken", TokenInfo("r", "2025-07-18T12:53:56Z")}})});
  absl::Status status = Api()->Redeem(SecretFromView("auth.jwt")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("cannot be fetched again"));
  EXPECT_THAT(status.message(), HasSubstr("from the challenge"));
  EXPECT_THAT(Requests(), SizeIs(1));
  EXPECT_THAT(Sleeps(), IsEmpty());
}

TEST_F(KsefHttpApiTest, RedeemTravelsAloneOnAFreshConnection) {
  json tokens = Ok({{"accessToken", TokenInfo("a", "2025-07-11T12:53:56Z")},
                    {"refreshToken", TokenInfo("r", "2025-07-18T12:53:56Z")}});
  json challenge = Ok({{"challenge", "20250514-CR-226FB7B000-3ACF9BE4C0-10"},
                       {"timestamp", "2025-07-11T12:23:56Z"},
                       {"timestampMs", 1752236636000},
                       {"clientIp", "127.0.0.1"}});
  Serve({challenge, challenge, tokens, challenge});
  auto api = Api();
  ASSERT_TRUE(api->Challenge().ok());
  ASSERT_TRUE(api->Challenge().ok());
  ASSERT_TRUE(api->Redeem(SecretFromView("auth.jwt")).ok());
  ASSERT_TRUE(api->Challenge().ok());
  std::vector<RecordedRequest> r = Requests();
  ASSERT_THAT(r, SizeIs(4));
  EXPECT_EQ(r[0].client_port, r[1].client_port);  // kept alive
  EXPECT_NE(r[2].client_port, r[1].client_port);  // redeem: a new one…
  EXPECT_NE(r[3].client_port, r[2].client_port);  // …closed after it
}

TEST_F(KsefHttpApiTest, ConcurrentCallsAllGetTheirAnswers) {
  constexpr int kCalls = 12;
  Serve(std::vector<json>(kCalls, Ok(json::array())));
  auto api = Api();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&] {
      if (api->PublicKeyCertificates().ok()) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kCalls);
  EXPECT_THAT(Requests(), SizeIs(kCalls));
}

TEST_F(KsefHttpApiTest, RedeemIsNotRepeatedAfterALostAnswer) {
  Serve({{{"drop", true}},
         Ok({{"accessToken", TokenInfo("a", "2025-07-11T12:53:56Z")},
             {"refreshToken", TokenInfo("r", "2025-07-18T12:53:56Z")}})});
  absl::Status status = Api()->Redeem(SecretFromView("auth.jwt")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("answer was lost"));
  EXPECT_THAT(status.message(), HasSubstr("cannot be fetched again"));
  EXPECT_THAT(Requests(), SizeIs(1));
}

TEST_F(KsefHttpApiTest, RedeemIsRepeatedAfterTooManyRequests) {
  Serve({{{"status", 429}, {"headers", {{"Retry-After", "1"}}}, {"body", ""}},
         Ok({{"accessToken", TokenInfo("a", "2025-07-11T12:53:56Z")},
             {"refreshToken", TokenInfo("r", "2025-07-18T12:53:56Z")}})});
  auto tokens = Api()->Redeem(SecretFromView("auth.jwt"));
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_THAT(Requests(), SizeIs(2));
}

TEST_F(KsefHttpApiTest, UnreachableServerIsRetriedEvenForRedeem) {
  KsefHttpApiSettings settings = Settings();
  settings.base_url = "https://127.0.0.1:1/v2";  // nothing listens
  absl::Status status =
      Api(settings)->Redeem(SecretFromView("auth.jwt")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("no answer after 3 attempts"));
  EXPECT_EQ(LastCall().attempts, 3);
}

TEST_F(KsefHttpApiTest, MalformedAnswersAreInternalNamingTheEndpoint) {
  Serve({{{"status", 200}, {"body", "{\"challenge\": "}},
         Ok({{"accessToken", TokenInfo("a", "2025-07-11T12:53:56Z")}}),
         Ok({{"referenceNumber", kReference},
             {"authenticationToken", {{"token", "t"}, {"validUntil", "soon"}}}},
            202)});
  auto api = Api();
  absl::Status challenge = api->Challenge().status();
  EXPECT_EQ(challenge.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(challenge.message(), HasSubstr("POST /auth/challenge"));
  EXPECT_THAT(challenge.message(), HasSubstr("not JSON"));
  absl::Status redeem = api->Redeem(SecretFromView("auth.jwt")).status();
  EXPECT_EQ(redeem.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(redeem.message(), HasSubstr("POST /auth/token/redeem"));
  EXPECT_THAT(redeem.message(), HasSubstr("\"refreshToken\""));
  absl::Status submit = api->SubmitXadesSignature("<x/>").status();
  EXPECT_EQ(submit.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(submit.message(),
              HasSubstr("\"authenticationToken.validUntil\""));
}

TEST_F(KsefHttpApiTest, NoTokenTextInAnyMessageOrCall) {
  std::string echo = absl::StrCat("Token ", kCanary, " odrzucony");
  Serve({
      // KSeF's words quoting the bearer.
      {{"status", 400}, {"json", ExceptionBody(21301, echo, echo)}},
      {{"status", 401}, {"json", {{"title", echo}, {"detail", echo}}}},
      // Answers holding a token that do not parse.
      Ok({{"accessToken", TokenInfo(kCanary, "never")},
          {"refreshToken", TokenInfo(kCanary, "2025-07-18T12:53:56Z")}}),
      {{"status", 200},
       {"body", absl::StrCat("{\"accessToken\": \"", kCanary)}},
      {{"status", 503}, {"body", echo}},
      {{"status", 503}, {"body", echo}},
      {{"status", 503}, {"body", echo}},
  });
  auto api = Api();
  SecretBytes canary = SecretFromView(kCanary);
  std::vector<absl::Status> statuses = {
      api->Redeem(canary).status(),
      api->Refresh(canary).status(),
      api->Redeem(canary).status(),
      api->Refresh(canary).status(),
      api->CloseCurrentSession(canary),
      api->GetAuthStatus(canary, "not a reference").status(),
      api->GetAuthStatus(SecretFromView("bad token\r\nX: y"), kReference)
          .status(),
  };
  for (const absl::Status& status : statuses) {
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(status.ToString(), Not(HasSubstr("CANARY"))) << status;
    EXPECT_THAT(status.ToString(), Not(HasSubstr("bad token")));
  }
  EXPECT_THAT(statuses[0].message(), HasSubstr("[bearer token]"));
  for (const KsefCall& call : Calls()) {
    EXPECT_THAT(call.status.ToString(), Not(HasSubstr("CANARY")));
    for (const std::string& w : call.system_warnings) {
      EXPECT_THAT(w, Not(HasSubstr("CANARY")));
    }
  }
}

TEST_F(KsefHttpApiTest, BadArgumentsAreRefusedBeforeAnyRequest) {
  Serve({});
  auto api = Api();
  EXPECT_EQ(
      api->GetAuthStatus(SecretFromView("t"), "../../tokens").status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api->Redeem(SecretBytes()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api->SubmitXadesSignature("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Requests(), IsEmpty());
}

TEST_F(KsefHttpApiTest, SystemWarningsReachTheObserver) {
  Serve({{{"status", 200},
          {"headers",
           {{"X-System-Warning",
             "[sig-001]: Format podpisu niezgodny z akceptowanymi profilami "
             "XAdES"}}},
          {"json", json::array()}}});
  ASSERT_TRUE(Api()->PublicKeyCertificates().ok());
  EXPECT_THAT(LastCall().system_warnings,
              ElementsAre("[sig-001]: Format podpisu niezgodny z "
                          "akceptowanymi profilami XAdES"));
}

TEST_F(KsefHttpApiTest, CreateRefusesPlainHttpAndAMissingCaFile) {
  KsefHttpApiSettings settings = Settings();
  settings.base_url = "http://127.0.0.1:8080/v2";
  auto api = KsefHttpApi::Create(settings, nullptr);
  EXPECT_EQ(api.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(api.status().message(), HasSubstr("https://"));
  settings = Settings();
  settings.ca_file = dir_.Path("nowhere.pem");
  api = KsefHttpApi::Create(settings, nullptr);
  EXPECT_FALSE(api.ok());
  EXPECT_THAT(api.status().message(), HasSubstr("nowhere.pem"));
  settings.ca_file = dir_.Write("empty.pem", "not a certificate\n");
  api = KsefHttpApi::Create(settings, nullptr);
  EXPECT_EQ(api.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(api.status().message(), HasSubstr("no PEM CERTIFICATE"));
}

TEST_F(KsefHttpApiTest, DirectoryGivesEachEnvironmentItsApi) {
  Serve({Ok(json::array())});
  std::map<std::string, KsefHttpApiSettings> environments;
  environments["local"] = Settings();
  environments["prod"] = Settings();
  environments["prod"].base_url = "https://api.ksef.mf.gov.pl/v2/";
  environments["prod"].ca_file = "";
  environments["bare"] = Settings();
  environments["bare"].base_url = "";
  auto directory = KsefHttpApiDirectory::Create(environments, nullptr);
  ASSERT_TRUE(directory.ok()) << directory.status();
  auto local = (*directory)->For("local");
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_TRUE((*local)->PublicKeyCertificates().ok());
  auto prod = (*directory)->For("prod");
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ(static_cast<KsefHttpApi*>(*prod)->settings().base_url,
            "https://api.ksef.mf.gov.pl/v2");
  for (absl::string_view name : {"bare", "unknown"}) {
    auto missing = (*directory)->For(name);
    EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(missing.status().message(),
                HasSubstr(absl::StrCat("[ksef.environments.", name, "]")));
  }
}

// ---- KSeF tokens (issue 14) ----

constexpr char kTokenReference[] = "20251010-EC-1DCE3E3000-12ECB5B36E-45";

json TokenStatus(const std::string& status) {
  return {{"referenceNumber", kTokenReference},
          {"authorIdentifier", {{"type", "Nip"}, {"value", "5265877635"}}},
          {"contextIdentifier", {{"type", "Nip"}, {"value", "5265877635"}}},
          {"description", "ERP invoices"},
          {"requestedPermissions", {"InvoiceRead", "InvoiceWrite"}},
          {"dateCreated", "2025-10-10T12:00:00.0000000+00:00"},
          {"lastUseDate", nullptr},
          {"status", status},
          {"statusDetails", json::array()}};
}

TEST_F(KsefHttpApiTest, TokenEndpointsCarryTheAccessTokenAndParseTheAnswers) {
  const std::string minted =
      absl::StrCat(kTokenReference, "|nip-5265877635|", kCanary);
  Serve({Ok({{"referenceNumber", kTokenReference}, {"token", minted}}, 202),
         Ok(TokenStatus("Active")),
         {{"status", 204}}});
  auto api = Api();
  SecretBytes access = SecretFromView("access.jwt.1");
  auto generated = api->GenerateToken(
      access, {.permissions = {"InvoiceRead", "InvoiceWrite"},
               .description = "ERP invoices"});
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->reference_number, kTokenReference);
  EXPECT_EQ(SecretView(generated->token), minted);
  EXPECT_EQ(LastCall().reference_number, kTokenReference);

  auto status = api->GetToken(access, kTokenReference);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->status, "Active");
  EXPECT_EQ(status->context_type, "Nip");
  EXPECT_EQ(status->context_value, "5265877635");
  EXPECT_THAT(status->permissions, ElementsAre("InvoiceRead", "InvoiceWrite"));
  EXPECT_EQ(status->date_created, absl::FromUnixSeconds(1760097600));

  EXPECT_TRUE(api->RevokeToken(access, kTokenReference).ok());

  std::vector<RecordedRequest> r = Requests();
  ASSERT_THAT(r, SizeIs(3));
  EXPECT_EQ(r[0].method + " " + r[0].path, "POST /v2/tokens");
  EXPECT_EQ(r[0].headers["content-type"], "application/json");
  EXPECT_EQ(json::parse(r[0].body),
            json({{"permissions", {"InvoiceRead", "InvoiceWrite"}},
                  {"description", "ERP invoices"}}));
  EXPECT_EQ(r[1].method + " " + r[1].path,
            absl::StrCat("GET /v2/tokens/", kTokenReference));
  EXPECT_EQ(r[2].method + " " + r[2].path,
            absl::StrCat("DELETE /v2/tokens/", kTokenReference));
  for (const RecordedRequest& request : r) {
    EXPECT_EQ(request.headers.at("authorization"), "Bearer access.jwt.1");
  }
}

TEST_F(KsefHttpApiTest, GenerateTokenIsNotRepeatedAfterAServerError) {
  Serve({{{"status", 503}, {"body", ""}},
         Ok({{"referenceNumber", kTokenReference}, {"token", "t"}}, 202)});
  absl::Status status = Api()
                            ->GenerateToken(SecretFromView("access.jwt"),
                                            {.permissions = {"InvoiceRead"},
                                             .description = "ERP invoices"})
                            .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("revoke it in KSeF"));
  EXPECT_THAT(status.message(), Not(HasSubstr("from the challenge")));
  EXPECT_THAT(Requests(), SizeIs(1));
}

TEST_F(KsefHttpApiTest, TokenAnswersOfAnotherShapeAreInternalWithoutTheToken) {
  Serve({Ok({{"referenceNumber", "short"}, {"token", kCanary}}, 202),
         Ok(TokenStatus("Sleeping"))});
  auto api = Api();
  SecretBytes access = SecretFromView("access.jwt");
  absl::Status generated =
      api->GenerateToken(access, {.permissions = {"InvoiceRead"},
                                  .description = "ERP invoices"})
          .status();
  EXPECT_EQ(generated.code(), absl::StatusCode::kInternal) << generated;
  EXPECT_THAT(generated.message(), HasSubstr("referenceNumber"));
  EXPECT_THAT(generated.message(), Not(HasSubstr("CANARY")));
  absl::Status status = api->GetToken(access, kTokenReference).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(status.message(), HasSubstr("\"status\""));
  // A reference number that is not one is refused before anything is sent.
  EXPECT_EQ(api->RevokeToken(access, "../auth/sessions").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Requests(), SizeIs(2));
}

}  // namespace
}  // namespace sejf::broker
