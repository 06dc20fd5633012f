// The KSeF emulator (tests/ksef_emulator/) checked from the outside, with
// tools independent of sejf: curl for HTTPS (through KsefEmulator), the
// openssl CLI for token encryption and certificates; sejf only produces
// the XAdES document the emulator must accept (and refuse when altered).
#include "tests/testing/ksef_emulator.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kNip[] = "5265877635";
constexpr char kOtherNip[] = "1111111111";
constexpr char kToken[] =
    "20261204-EC-1DCE3E3000-12ECB5B36E-45|nip-5265877635|"
    "919f7044aa3c4bd7b1b2d0c9e1f7a8b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0";
constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";

class KsefEmulatorTest : public SejfdTest {
 protected:
  void SetUp() override {
    auto started = KsefEmulator::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = std::move(*started);
  }

  void TearDown() override {
    emulator_.reset();
    SejfdTest::TearDown();
  }

  KsefHttpResponse Call(const std::string& method, const std::string& path,
                        const std::string& body = "",
                        const std::string& content_type = "application/json",
                        const std::string& bearer = "") {
    absl::StatusOr<KsefHttpResponse> r =
        emulator_->Call(method, path, body, content_type, bearer);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : KsefHttpResponse{};
  }

  nlohmann::json NewChallenge() {
    KsefHttpResponse r = Call("POST", "/auth/challenge");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }

  nlohmann::json Certificates() {
    KsefHttpResponse r = Call("GET", "/security/public-key-certificates");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }

  nlohmann::json TokenCertificate() {
    for (const auto& c : Certificates()) {
      for (const auto& usage : c["usage"]) {
        if (usage == "KsefTokenEncryption") return c;
      }
    }
    ADD_FAILURE() << "no KsefTokenEncryption certificate";
    return nlohmann::json::object();
  }

  // `certificate` (Base64 DER, as published) as a PEM file; its path.
  std::string CertificatePem(const std::string& base64_der,
                             const std::string& name) {
    std::string der;
    EXPECT_TRUE(absl::Base64Unescape(base64_der, &der));
    const std::string der_path = WriteTemp(name + ".der", der);
    const std::string pem_path = temp_dir() + "/" + name + ".pem";
    CommandResult r = Shell("openssl x509 -inform DER -in " + der_path +
                            " -out " + pem_path + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return pem_path;
  }

  // RSA-OAEP (SHA-256, MGF1-SHA-256) of `plaintext` to `certificate` by
  // openssl pkeyutl; Base64.
  std::string Encrypt(const std::string& plaintext,
                      const nlohmann::json& certificate) {
    const std::string id = certificate["certificateId"];
    if (id != encryption_certificate_id_) {
      encryption_pem_ =
          CertificatePem(certificate["certificate"].get<std::string>(), "mf");
      encryption_certificate_id_ = id;
    }
    const std::string& pem = encryption_pem_;
    const std::string in = WriteTemp("plain.txt", plaintext);
    const std::string out = temp_dir() + "/cipher.bin";
    CommandResult r =
        Shell("openssl pkeyutl -encrypt -certin -inkey " + pem +
              " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256"
              " -pkeyopt rsa_mgf1_md:sha256 -in " +
              in + " -out " + out + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return absl::Base64Escape(ReadFile(out).value_or(""));
  }

  struct TokenLogin {
    std::string token = kToken;
    std::string context_nip = kNip;
    int64_t timestamp_offset = 0;
    std::string public_key_id = {};  // empty: the certificate's
    std::string challenge = {};      // empty: a new one
  };

  // POST /auth/ksef-token with the token encrypted by openssl.
  KsefHttpResponse SubmitToken(const TokenLogin& login) {
    nlohmann::json challenge = NewChallenge();
    if (!login.challenge.empty()) challenge["challenge"] = login.challenge;
    nlohmann::json cert = TokenCertificate();
    const int64_t ms = challenge["timestampMs"].get<int64_t>();
    nlohmann::json body = {
        {"challenge", challenge["challenge"]},
        {"contextIdentifier", {{"type", "Nip"}, {"value", login.context_nip}}},
        {"encryptedToken",
         Encrypt(absl::StrCat(login.token, "|", ms + login.timestamp_offset),
                 cert)},
        {"publicKeyId", login.public_key_id.empty()
                            ? cert["publicKeyId"].get<std::string>()
                            : login.public_key_id}};
    return Call("POST", "/auth/ksef-token", body.dump());
  }

  // GET /auth/{ref} until the status is not 100 (at most 10 polls).
  nlohmann::json PollStatus(const KsefHttpResponse& submitted) {
    nlohmann::json init = submitted.Json();
    const std::string ref = init["referenceNumber"];
    const std::string bearer = init["authenticationToken"]["token"];
    nlohmann::json status;
    for (int i = 0; i < 10; ++i) {
      KsefHttpResponse r = Call("GET", "/auth/" + ref, "", "", bearer);
      EXPECT_EQ(r.status, 200) << r.body;
      status = r.Json();
      if (status["status"]["code"] != 100) break;
    }
    return status;
  }

  // The final status object of a token login.
  nlohmann::json FinalStatus(const TokenLogin& login) {
    KsefHttpResponse submitted = SubmitToken(login);
    EXPECT_EQ(submitted.status, 202) << submitted.body;
    return PollStatus(submitted)["status"];
  }

  // A successful token login up to redeem; the AuthenticationTokensResponse.
  nlohmann::json LoginWithToken() {
    KsefHttpResponse submitted = SubmitToken({});
    EXPECT_EQ(submitted.status, 202) << submitted.body;
    EXPECT_EQ(PollStatus(submitted)["status"]["code"], 200);
    KsefHttpResponse r = Call("POST", "/auth/token/redeem", "", "",
                              submitted.Json()["authenticationToken"]["token"]);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }

  // A sejf key with a self-signed certificate (the KSeF TEST way), and the
  // AuthTokenRequest sejf signs with it.
  void CertifiedKey(const std::string& name) {
    CommandResult r = Sejf({"key", "generate", "--name", name, "--usage",
                            "authentication", "--algorithm", "ec-p256"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Sejf({"key", "self-sign", name, "--subject", kSubject, "--days", "30"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string SignedRequest(const std::string& key,
                            const std::string& challenge) {
    CommandResult r =
        Sejf({"auth", "xades", "--key", key, "--challenge", challenge,
              "--context", absl::StrCat("nip:", kNip)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  KsefHttpResponse SubmitXades(const std::string& xml) {
    return Call("POST", "/auth/xades-signature", xml, "application/xml");
  }

  std::unique_ptr<KsefEmulator> emulator_;
  // The PEM file of the certificate Encrypt used last, and its id.
  std::string encryption_pem_, encryption_certificate_id_;
};

TEST_F(KsefEmulatorTest, ServesChallengesAndMinistryCertificates) {
  nlohmann::json challenge = NewChallenge();
  EXPECT_THAT(challenge["challenge"].get<std::string>(), SizeIs(36));
  EXPECT_THAT(challenge["challenge"].get<std::string>(), HasSubstr("-CR-"));
  EXPECT_EQ(challenge["clientIp"], "127.0.0.1");
  EXPECT_GT(challenge["timestampMs"].get<int64_t>(), 1700000000000);
  // timestamp (7 fractional digits) is the same instant as timestampMs.
  absl::Time timestamp;
  std::string error;
  ASSERT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez",
                              challenge["timestamp"].get<std::string>(),
                              &timestamp, &error))
      << error;
  EXPECT_EQ(absl::ToUnixMillis(timestamp),
            challenge["timestampMs"].get<int64_t>());
  EXPECT_NE(NewChallenge()["challenge"], challenge["challenge"]);

  nlohmann::json certs = Certificates();
  ASSERT_THAT(certs, SizeIs(2));
  for (const auto& c : certs) {
    const std::string pem =
        CertificatePem(c["certificate"].get<std::string>(), "published");
    // Issued by the Ministry CA, RSA-2048, ids as ksef-protocol.md 4.3.
    CommandResult r = Shell("openssl verify -CAfile " +
                            emulator_->mf_ca_file() + " " + pem + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    r = Shell("openssl x509 -in " + pem + " -noout -text");
    EXPECT_THAT(r.out, HasSubstr("(2048 bit)"));
    EXPECT_THAT(r.out, HasSubstr("Key Encipherment"));
    r = Shell("openssl x509 -in " + pem +
              " -outform DER | openssl dgst -sha256 -binary | openssl base64 "
              "-A");
    EXPECT_EQ(r.out, c["certificateId"]);
    r = Shell("openssl x509 -in " + pem +
              " -pubkey -noout | openssl pkey -pubin -outform DER | openssl "
              "dgst -sha256 -binary | openssl base64 -A");
    EXPECT_EQ(r.out, c["publicKeyId"]);
  }
  // The TLS server certificate chains to tls_ca_file (curl checked it).
  EXPECT_TRUE(PathExists(emulator_->tls_ca_file()));
  EXPECT_EQ(*emulator_->RequestCount("challenge"), 2);
  EXPECT_EQ(emulator_->Stop().value_or(-1), 0);
}

TEST_F(KsefEmulatorTest, TokenLoginEndToEnd) {
  ASSERT_TRUE(emulator_->RegisterKsefToken(kToken, "Nip", kNip).ok());
  KsefHttpResponse submitted = SubmitToken({});
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  nlohmann::json init = submitted.Json();
  const std::string ref = init["referenceNumber"];
  const std::string auth = init["authenticationToken"]["token"];
  EXPECT_THAT(ref, HasSubstr("-AU-"));

  // Redeem before the end is refused.
  KsefHttpResponse r = Call("POST", "/auth/token/redeem", "", "", auth);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ExceptionCode(), 21301);
  EXPECT_THAT(r.body, HasSubstr("(100)"));
  // 100 first (one pending poll by default), then 200.
  r = Call("GET", "/auth/" + ref, "", "", auth);
  EXPECT_EQ(r.Json()["status"]["code"], 100) << r.body;
  r = Call("GET", "/auth/" + ref, "", "", auth);
  EXPECT_EQ(r.Json()["status"]["code"], 200) << r.body;
  EXPECT_EQ(r.Json()["authenticationMethodInfo"]["category"], "Token");
  // Without the bearer: 401 problem details.
  r = Call("GET", "/auth/" + ref);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");

  r = Call("POST", "/auth/token/redeem", "", "", auth);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string access = r.Json()["accessToken"]["token"];
  const std::string refresh = r.Json()["refreshToken"]["token"];
  // Once only.
  r = Call("POST", "/auth/token/redeem", "", "", auth);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ExceptionCode(), 21301);
  EXPECT_THAT(r.body, HasSubstr("już pobrane"));

  // The access token lists the session; the refresh token is not an
  // access token.
  r = Call("GET", "/auth/sessions", "", "", access);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_THAT(r.Json()["items"], SizeIs(1));
  EXPECT_EQ(r.Json()["items"][0]["referenceNumber"], ref);
  EXPECT_EQ(r.Json()["items"][0]["isCurrent"], true);
  EXPECT_EQ(Call("GET", "/auth/sessions", "", "", refresh).status, 401);

  r = Call("POST", "/auth/token/refresh", "", "", refresh);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string refreshed = r.Json()["accessToken"]["token"];
  EXPECT_NE(refreshed, access);
  EXPECT_EQ(Call("GET", "/auth/sessions", "", "", refreshed).status, 200);

  // A second session of the context, closed by reference from the first.
  nlohmann::json second = LoginWithToken();
  r = Call("GET", "/auth/sessions", "", "", access);
  ASSERT_THAT(r.Json()["items"], SizeIs(2));
  const std::string second_ref = r.Json()["items"][0]["referenceNumber"];
  EXPECT_NE(second_ref, ref);
  EXPECT_EQ(
      Call("DELETE", "/auth/sessions/" + second_ref, "", "", access).status,
      204);
  r = Call("POST", "/auth/token/refresh", "", "",
           second["refreshToken"]["token"]);
  EXPECT_EQ(r.ExceptionCode(), 21301);
  EXPECT_THAT(Call("GET", "/auth/sessions", "", "", access).Json()["items"],
              SizeIs(1));

  // Closing the session stops the refresh token (status 425); access
  // tokens already issued stay valid until they expire.
  EXPECT_EQ(Call("DELETE", "/auth/sessions/current", "", "", refresh).status,
            204);
  r = Call("POST", "/auth/token/refresh", "", "", refresh);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ExceptionCode(), 21301);
  EXPECT_THAT(r.body, HasSubstr("(425)"));
  EXPECT_EQ(Call("GET", "/auth/" + ref, "", "", auth).Json()["status"]["code"],
            425);

  nlohmann::json stats = *emulator_->Stats();
  EXPECT_EQ(stats["requests"]["refresh"], 3);
  EXPECT_EQ(stats["responses"]["refresh"]["200"], 1);
  EXPECT_EQ(stats["responses"]["redeem"]["400"], 2);
}

TEST_F(KsefEmulatorTest, TokenLoginsWithAWrongTimeContextOrTokenEndIn450) {
  ASSERT_TRUE(emulator_->RegisterKsefToken(kToken, "Nip", kNip).ok());
  ASSERT_TRUE(emulator_->Configure({.pending_polls = 0}).ok());
  nlohmann::json status = FinalStatus({.timestamp_offset = 1});
  EXPECT_EQ(status["code"], 450);
  EXPECT_EQ(status["details"][0], "Nieprawidłowy czas tokena");
  status = FinalStatus({.context_nip = kOtherNip});
  EXPECT_EQ(status["code"], 450);
  EXPECT_THAT(status["details"][0].get<std::string>(),
              HasSubstr("nie może być użyty w kontekście"));
  EXPECT_EQ(FinalStatus({.token = "not-a-known-token"})["code"], 450);

  // A revoked KSeF token.
  ASSERT_TRUE(emulator_->SetKsefTokenStatus(kToken, "Revoked").ok());
  status = FinalStatus({});
  EXPECT_EQ(status["code"], 450);
  EXPECT_EQ(status["details"][0], "Token unieważniony");
}

TEST_F(KsefEmulatorTest, TokenSubmissionsAreRefusedWith400) {
  ASSERT_TRUE(emulator_->RegisterKsefToken(kToken, "Nip", kNip).ok());
  ASSERT_TRUE(emulator_->Configure({.pending_polls = 0}).ok());
  // A challenge serves one submission.
  nlohmann::json used = NewChallenge();
  KsefHttpResponse r = SubmitToken({.challenge = used["challenge"]});
  EXPECT_EQ(r.status, 202);
  r = SubmitToken({.challenge = used["challenge"]});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ExceptionCode(), 21111);
  r = SubmitToken({.challenge = "20250101-CR-0000000000-0000000000-00"});
  EXPECT_EQ(r.ExceptionCode(), 21111);

  // An unknown key, and the old key after an emergency rotation.
  r = SubmitToken(
      {.public_key_id = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ExceptionCode(), 21470);
  const std::string old_id = TokenCertificate()["publicKeyId"];
  absl::StatusOr<nlohmann::json> rotated =
      emulator_->RotateMinistryKey(/*keep_old=*/false);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_NE((*rotated)["publicKeyId"], old_id);
  r = SubmitToken({.public_key_id = old_id});
  EXPECT_EQ(r.ExceptionCode(), 21470);
  EXPECT_THAT(r.body, HasSubstr(old_id));
  // The new certificate works.
  EXPECT_EQ(FinalStatus({})["code"], 200);

  // Malformed bodies and the wrong media type.
  r = Call("POST", "/auth/ksef-token", "{\"challenge\": 1}");
  EXPECT_EQ(r.ExceptionCode(), 21405);
  r = Call("POST", "/auth/ksef-token", "{}", "text/plain");
  EXPECT_EQ(r.status, 415);
}

TEST_F(KsefEmulatorTest, TokenEncryptedBySejfLogsIn) {
  // sejf trusts the emulator's Ministry CA for environment "emu", imports
  // the published certificates and a token, and encrypts it.
  SejfdConfig config;
  config.config = absl::StrCat("[ksef.environments.emu]\nmf_trust_anchors = \"",
                               emulator_->mf_ca_file(), "\"\n");
  StartSejfd(config);
  const std::string certs = WriteTemp("certs.json", Certificates().dump());
  CommandResult r = Sejf({"mfcert", "import", "--environment", "emu", certs});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Sejf({"token", "import", "--name", "erp", "--context",
            absl::StrCat("nip:", kNip)},
           kToken);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(emulator_->RegisterKsefToken(kToken, "Nip", kNip).ok());

  nlohmann::json challenge = NewChallenge();
  r = Sejf({"auth", "token", "--token", "erp", "--challenge",
            challenge["challenge"], "--timestamp-ms",
            absl::StrCat(challenge["timestampMs"].get<int64_t>()),
            "--environment", "emu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  KsefHttpResponse submitted = Call("POST", "/auth/ksef-token", r.out);
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  EXPECT_EQ(PollStatus(submitted)["status"]["code"], 200);
}

TEST_F(KsefEmulatorTest, RefreshAndAccessTokensExpire) {
  ASSERT_TRUE(emulator_->RegisterKsefToken(kToken, "Nip", kNip).ok());
  ASSERT_TRUE(emulator_
                  ->Configure({.access_token_seconds = 1,
                               .refresh_token_seconds = 1,
                               .pending_polls = 0})
                  .ok());
  nlohmann::json tokens = LoginWithToken();
  // Past both lifetimes (JWT exp has whole seconds).
  absl::SleepFor(absl::Milliseconds(2100));
  KsefHttpResponse r = Call("POST", "/auth/token/refresh", "", "",
                            tokens["refreshToken"]["token"]);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  r = Call("GET", "/auth/sessions", "", "", tokens["accessToken"]["token"]);
  EXPECT_EQ(r.status, 401);
  // A second login works; nothing was refreshed.
  ASSERT_TRUE(emulator_->Configure({.refresh_token_seconds = 60}).ok());
  tokens = LoginWithToken();
  EXPECT_EQ(Call("POST", "/auth/token/refresh", "", "",
                 tokens["refreshToken"]["token"])
                .status,
            200);
  EXPECT_EQ((*emulator_->Stats())["responses"]["refresh"]["200"], 1);
}

TEST_F(KsefEmulatorTest,
       XadesSignedBySejfIsAcceptedOnceAndAnAlteredCopyRefused) {
  StartSejfd();
  CertifiedKey("login");
  const std::string challenge = NewChallenge()["challenge"];
  const std::string xml = SignedRequest("login", challenge);
  ASSERT_THAT(xml, HasSubstr(challenge));

  // One signed byte changed (a digit of the NIP): the signature fails.
  std::string altered = xml;
  const size_t at = altered.find(absl::StrCat("<Nip>", kNip)) + 6;
  altered[at] = altered[at] == '1' ? '2' : '1';
  KsefHttpResponse r = SubmitXades(altered);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ExceptionCode(), 9105) << r.body;
  // Wrong media type.
  r = Call("POST", "/auth/xades-signature", xml, "text/xml");
  EXPECT_EQ(r.status, 415);
  // Neither refusal used the challenge: the original is accepted, and the
  // login completes.
  KsefHttpResponse submitted = SubmitXades(xml);
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  nlohmann::json status = PollStatus(submitted);
  EXPECT_EQ(status["status"]["code"], 200) << status;
  EXPECT_EQ(status["authenticationMethodInfo"]["category"], "XadesSignature");
  r = Call("POST", "/auth/token/redeem", "", "",
           submitted.Json()["authenticationToken"]["token"]);
  EXPECT_EQ(r.status, 200) << r.body;
  // The same document again: its challenge is used.
  r = SubmitXades(xml);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ExceptionCode(), 21111);
  // Not XML at all; no signature.
  EXPECT_EQ(SubmitXades("<AuthTokenRequest").ExceptionCode(), 21001);
  EXPECT_EQ(SubmitXades("<AuthTokenRequest "
                        "xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\"/>")
                .ExceptionCode(),
            9102);
}

TEST_F(KsefEmulatorTest, XadesWithoutPermissionEndsIn415UntilGranted) {
  StartSejfd();
  CertifiedKey("login");
  ASSERT_TRUE(emulator_->Configure({.self_signed_any = false}).ok());
  KsefHttpResponse submitted =
      SubmitXades(SignedRequest("login", NewChallenge()["challenge"]));
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  EXPECT_EQ(PollStatus(submitted)["status"]["code"], 415);

  const std::string pem = WriteTemp(
      "login.pem", SejfJson({"key", "show", "login"})["certificate"]["pem"]
                       .get<std::string>());
  CommandResult fp =
      Shell("openssl x509 -in " + pem + " -noout -fingerprint -sha256");
  ASSERT_EQ(fp.exit_code, 0) << fp.err;
  std::string fingerprint(absl::StripAsciiWhitespace(fp.out));
  fingerprint = fingerprint.substr(fingerprint.find('=') + 1);
  ASSERT_TRUE(emulator_->GrantCertificate(fingerprint, "Nip", kNip).ok());
  submitted = SubmitXades(SignedRequest("login", NewChallenge()["challenge"]));
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  EXPECT_EQ(PollStatus(submitted)["status"]["code"], 200);
}

TEST_F(KsefEmulatorTest, FaultsAreServedAsQueued) {
  ASSERT_TRUE(emulator_
                  ->QueueFault({.path_regex = "/auth/challenge$",
                                .http_status = 503,
                                .count = 2})
                  .ok());
  ASSERT_TRUE(emulator_
                  ->QueueFault({.path_regex = "/auth/challenge$",
                                .http_status = 429,
                                .retry_after_seconds = 7})
                  .ok());
  EXPECT_EQ(Call("POST", "/auth/challenge").status, 503);
  EXPECT_EQ(Call("POST", "/auth/challenge").status, 503);
  KsefHttpResponse r = Call("POST", "/auth/challenge");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers["retry-after"], "7");
  EXPECT_EQ(r.Json()["status"]["code"], 429);
  EXPECT_EQ(Call("POST", "/auth/challenge").status, 200);

  // A delay alone answers normally afterwards.
  ASSERT_TRUE(
      emulator_->QueueFault({.path_regex = "public-key", .delay_seconds = 0.2})
          .ok());
  EXPECT_EQ(Call("GET", "/security/public-key-certificates").status, 200);

  // The next login ends in 460 after its pending poll, then all is normal.
  ASSERT_TRUE(emulator_->RegisterKsefToken(kToken, "Nip", kNip).ok());
  ASSERT_TRUE(emulator_->QueueAuthStatus(460).ok());
  KsefHttpResponse submitted = SubmitToken({});
  EXPECT_EQ(PollStatus(submitted)["status"]["code"], 460);
  submitted = SubmitToken({});
  EXPECT_EQ(PollStatus(submitted)["status"]["code"], 200);

  EXPECT_EQ(*emulator_->RequestCount("challenge"), 6);
  // The control API refuses what it cannot apply, and changes nothing.
  EXPECT_FALSE(emulator_->QueueAuthStatus(201).ok());
  EXPECT_FALSE(
      emulator_
          ->Control("POST", "settings",
                    {{"pending_polls", 5}, {"refresh_token_seconds", "x"}})
          .ok());
  EXPECT_EQ((*emulator_->Control("POST", "settings",
                                 nlohmann::json::object()))["pending_polls"],
            1);
}

TEST_F(KsefEmulatorTest, RateLimitsAnswer429WithRetryAfter) {
  ASSERT_TRUE(
      emulator_->SetRateLimits({{"challenge", {{"per_minute", 2}}}}).ok());
  EXPECT_EQ(Call("POST", "/auth/challenge").status, 200);
  EXPECT_EQ(Call("POST", "/auth/challenge").status, 200);
  KsefHttpResponse r = Call("POST", "/auth/challenge");
  EXPECT_EQ(r.status, 429);
  int retry_after = 0;
  ASSERT_TRUE(absl::SimpleAtoi(r.headers["retry-after"], &retry_after));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  // Problem details when asked for.
  absl::StatusOr<KsefHttpResponse> problem =
      emulator_->Call("POST", "/auth/challenge", "", "", "",
                      {"X-Error-Format: problem-details"});
  ASSERT_TRUE(problem.ok());
  EXPECT_EQ(problem->status, 429);
  EXPECT_EQ(problem->headers["content-type"], "application/problem+json");
  // Other endpoints are not limited; published limits replace the custom.
  EXPECT_EQ(Call("GET", "/security/public-key-certificates").status, 200);
  ASSERT_TRUE(emulator_->UsePublishedRateLimits().ok());
  EXPECT_EQ(Call("POST", "/auth/challenge").status, 200);
  ASSERT_TRUE(emulator_->SetRateLimits(nlohmann::json::object()).ok());
}

// Issue 14: token management (tokens.py), with curl alone.
TEST_F(KsefEmulatorTest, MintedTokensLogInWhileActiveAndNotOnceRevoked) {
  ASSERT_TRUE(emulator_->RegisterKsefToken(kToken, "Nip", kNip).ok());
  const std::string access =
      LoginWithToken()["accessToken"]["token"].get<std::string>();
  // What the OpenAPI schema refuses is 400 21405; no bearer is 401.
  KsefHttpResponse bad =
      Call("POST", "/tokens", R"({"permissions":[],"description":"x"})",
           "application/json", access);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.ExceptionCode(), 21405);
  EXPECT_EQ(Call("POST", "/tokens",
                 R"({"permissions":["InvoiceRead"],"description":"ERP x"})")
                .status,
            401);

  KsefHttpResponse minted =
      Call("POST", "/tokens",
           R"({"permissions":["InvoiceRead"],"description":"ERP invoices"})",
           "application/json", access);
  ASSERT_EQ(minted.status, 202) << minted.body;
  const std::string ref = minted.Json()["referenceNumber"];
  const std::string token = minted.Json()["token"];
  EXPECT_TRUE(absl::StartsWith(token, ref + "|nip-" + kNip + "|")) << token;
  // Pending (one poll, the default), then Active.
  KsefHttpResponse status = Call("GET", "/tokens/" + ref, "", "", access);
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.Json()["status"], "Active");
  EXPECT_EQ(status.Json()["requestedPermissions"],
            nlohmann::json::array({"InvoiceRead"}));
  EXPECT_EQ(FinalStatus({.token = token})["code"], 200);

  EXPECT_EQ(Call("DELETE", "/tokens/" + ref, "", "", access).status, 204);
  EXPECT_EQ(Call("GET", "/tokens/" + ref, "", "", access).Json()["status"],
            "Revoked");
  EXPECT_EQ(FinalStatus({.token = token})["code"], 450);
  EXPECT_EQ(Call("GET", "/tokens/20250101-EC-0000000000-0000000000-00", "", "",
                 access)
                .ExceptionCode(),
            21405);
}

}  // namespace
}  // namespace sejf::testing
