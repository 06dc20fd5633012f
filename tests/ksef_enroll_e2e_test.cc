// KSeF certificates end to end (issue 14, "Certificates"): `sejf key
// enroll` and `sejf key revoke` against a dev sejfd whose environment "emu"
// is the KSeF emulator (tests/ksef_emulator/certificates.py), which checks
// the CSR with python3-cryptography and issues from its own CA.
//
// What a user would notice: an enrolled key's certificate verifies with
// `openssl verify` against the emulator's CA, carries the HSM key's public
// key (read with pkcs11-tool) and the keyUsage of its type, and logs in to
// KSeF; revoke closes the sessions on the key and KSeF refuses it after;
// exhausted limits say so and create nothing; an enrollment left pending
// by a stopped daemon is finished by the next one; an enrollment whose
// answer is lost is not sent again (one enrollment reaches KSeF) and stays
// submitting, saying what to check.
//
// One emulator and one daemon for the suite. The only waits are bounded
// polls for the restarted daemon's worker; nothing asserts durations.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/ksef_login_e2e_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class KsefEnrollE2eTest : public KsefLoginE2eTest {
 protected:
  static void SetUpTestSuite() {
    StartWithLogin(
        "[ksef]\nenrollment_wait_seconds = 5\nenrollment_poll_seconds = 1\n"
        "certificate_status_seconds = 1\napi_timeout_seconds = 4\n");
  }

  void SetUp() override {
    CertificateSettings({{"pendingPolls", 1},
                         {"enrollmentRemaining", 300},
                         {"certificateRemaining", 100}});
  }

  static CommandResult Enroll(const std::string& name, const std::string& type,
                              std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--output", "json", "key",       "enroll",
                                     "--name",   name,   "--session", "main",
                                     "--type",   type};
    args.insert(args.end(), extra.begin(), extra.end());
    return Sejf(args);
  }

  // The key's certificate, PEM, in a file; "" when it has none.
  static std::string CertificateFile(const std::string& key) {
    nlohmann::json shown = SejfJson({"key", "show", key});
    if (!shown.contains("certificate")) return "";
    return WriteTemp(key + ".pem",
                     shown["certificate"]["pem"].get<std::string>());
  }
};

TEST_F(KsefEnrollE2eTest, AnAuthenticationCertificateVerifiesAndLogsIn) {
  CommandResult enrolled = Enroll("auth-1", "authentication");
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  nlohmann::json key = nlohmann::json::parse(enrolled.out);
  EXPECT_EQ(key["ksefEnrollment"]["state"], "ENROLLMENT_STATE_COMPLETED");
  EXPECT_THAT(key["ksefEnrollment"].value("referenceNumber", ""),
              HasSubstr("-EH-"));
  EXPECT_EQ(key["ksefEnrollment"]["ksefStatus"], "Active");

  const std::string pem = CertificateFile("auth-1");
  ASSERT_FALSE(pem.empty());
  // Issued by the emulator's CA (openssl, not sejf's code).
  const std::string ca = emulator_->state_dir() + "/ksef-ca.pem";
  CommandResult verify =
      Shell(absl::StrCat("openssl verify -CAfile '", ca, "' '", pem, "'"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  CommandResult usage =
      Shell(absl::StrCat("openssl x509 -noout -ext keyUsage -in '", pem, "'"));
  EXPECT_THAT(usage.out, HasSubstr("Digital Signature"));
  CommandResult subject =
      Shell(absl::StrCat("openssl x509 -noout -subject -in '", pem, "'"));
  EXPECT_THAT(subject.out, HasSubstr("TINPL-5265877635"));

  // Its public key is the HSM key's (pkcs11-tool reads the token).
  const std::string hsm_pub = temp_dir() + "/auth-1.hsm.der";
  CommandResult read =
      Pkcs11Tool({"--read-object", "--type", "pubkey", "--label",
                  "sejf-key/auth-1", "-o", hsm_pub});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  CommandResult from_cert =
      Shell(absl::StrCat("openssl x509 -noout -pubkey -in '", pem,
                         "' | openssl pkey -pubin -outform DER | od -An -tx1"));
  CommandResult from_hsm =
      Shell(absl::StrCat("openssl pkey -pubin -inform DER -in '", hsm_pub,
                         "' -outform DER | od -An -tx1"));
  ASSERT_EQ(from_hsm.exit_code, 0) << from_hsm.err;
  EXPECT_FALSE(from_cert.out.empty());
  EXPECT_EQ(from_cert.out, from_hsm.out);

  // A KSeF login (XAdES) with the enrolled key.
  CommandResult login = Open("on-auth-1", "auth-1");
  EXPECT_EQ(login.exit_code, 0) << login.err;
}

TEST_F(KsefEnrollE2eTest, AnOfflineCertificateHasNonRepudiation) {
  CommandResult enrolled =
      Enroll("qr-1", "offline",
             {"--algorithm", "rsa-2048", "--certificate-name", "Kody QR"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  const std::string pem = CertificateFile("qr-1");
  ASSERT_FALSE(pem.empty());
  CommandResult verify =
      Shell(absl::StrCat("openssl verify -CAfile '", emulator_->state_dir(),
                         "/ksef-ca.pem' '", pem, "'"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  CommandResult usage =
      Shell(absl::StrCat("openssl x509 -noout -ext keyUsage -in '", pem, "'"));
  EXPECT_THAT(usage.out, HasSubstr("Non Repudiation"));
  EXPECT_THAT(usage.out, Not(HasSubstr("Digital Signature")));
  // An offline certificate cannot log in: sejf refuses before KSeF.
  EXPECT_NE(Open("on-qr-1", "qr-1").exit_code, 0);
}

TEST_F(KsefEnrollE2eTest, ExhaustedLimitsSaySoAndCreateNothing) {
  ASSERT_TRUE(emulator_
                  ->Control("POST", "certificates/settings",
                            {{"enrollmentRemaining", 0}})
                  .ok());
  CommandResult enrolled = Enroll("limited", "authentication");
  EXPECT_NE(enrolled.exit_code, 0);
  EXPECT_THAT(enrolled.err, HasSubstr("no more certificate requests"));
  EXPECT_NE(Sejf({"key", "show", "limited"}).exit_code, 0);
}

TEST_F(KsefEnrollE2eTest, ALostEnrollmentAnswerIsNotSentAgain) {
  absl::StatusOr<nlohmann::json> before =
      emulator_->Control("GET", "certificates");
  ASSERT_TRUE(before.ok()) << before.status();
  const std::size_t enrollments = (*before)["enrollments"].size();
  absl::StatusOr<int> posts = emulator_->RequestCount("cert_enroll");
  ASSERT_TRUE(posts.ok()) << posts.status();
  // The emulator enrolls, but answers only after [ksef] api_timeout_seconds
  // (4 s here): sejf has given up on the answer by then.
  ASSERT_TRUE(emulator_
                  ->QueueFault({.path_regex = "/certificates/enrollments$",
                                .delay_seconds = 6,
                                .count = 1})
                  .ok());
  CommandResult enrolled = Enroll("auth-lost", "authentication",
                                  {"--certificate-name", "sejf auth lost"});
  EXPECT_NE(enrolled.exit_code, 0);
  EXPECT_THAT(enrolled.err, HasSubstr("answer was lost"));
  EXPECT_THAT(enrolled.err, HasSubstr("stays submitting"));
  EXPECT_THAT(enrolled.err, HasSubstr("certificate list"));

  // Exactly one enrollment reached KSeF: the request was not repeated.
  absl::StatusOr<nlohmann::json> after;
  for (int i = 0; i < 40; ++i) {  // the emulator's answer is still delayed
    after = emulator_->Control("GET", "certificates");
    ASSERT_TRUE(after.ok()) << after.status();
    if ((*after)["enrollments"].size() > enrollments) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_EQ((*after)["enrollments"].size(), enrollments + 1) << after->dump();
  EXPECT_EQ(*emulator_->RequestCount("cert_enroll"), *posts + 1);
  // sejf keeps the enrollment as submitting: KSeF may hold it.
  nlohmann::json key = SejfJson({"key", "show", "auth-lost"});
  EXPECT_EQ(key["ksefEnrollment"]["state"], "ENROLLMENT_STATE_SUBMITTING")
      << key.dump();
  EXPECT_FALSE(key.contains("certificate"));
}

TEST_F(KsefEnrollE2eTest, RevokeClosesTheSessionsAndKsefRefusesTheKey) {
  ASSERT_EQ(Enroll("auth-r", "authentication").exit_code, 0);
  Expect0(Open("on-auth-r", "auth-r"));
  CommandResult revoked = Sejf({"key", "revoke", "auth-r", "--reason",
                                "keyCompromise", "--session", "main"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_THAT(revoked.out, HasSubstr("closed:       sessions/on-auth-r"));
  nlohmann::json session = SejfJson({"session", "show", "on-auth-r"});
  EXPECT_EQ(session["state"], "SESSION_STATE_CLOSED");
  nlohmann::json key = SejfJson({"key", "show", "auth-r"});
  EXPECT_EQ(key["state"], "CREDENTIAL_STATE_DISABLED");
  EXPECT_EQ(key["ksefEnrollment"]["ksefStatus"], "Revoked");
  CommandResult list = Sejf({"key", "list"});
  EXPECT_THAT(list.out, ::testing::ContainsRegex("keys/auth-r +ec-p256 +"
                                                 "authentication +disabled +"
                                                 "Revoked"));
  // The emulator saw the revocation and its reason.
  absl::StatusOr<nlohmann::json> certs =
      emulator_->Control("GET", "certificates");
  ASSERT_TRUE(certs.ok());
  bool seen = false;
  for (const auto& c : (*certs)["certificates"]) {
    seen = seen || (c["status"] == "Revoked" &&
                    c["revocationReason"] == "KeyCompromise");
  }
  EXPECT_TRUE(seen) << certs->dump();
  // Enabled again in sejf, the key is still refused by KSeF.
  Expect0(Sejf({"key", "enable", "auth-r"}));
  CommandResult login = Open("on-auth-r-again", "auth-r");
  EXPECT_NE(login.exit_code, 0);
  EXPECT_THAT(login.err, HasSubstr("460"));
}

TEST_F(KsefEnrollE2eTest, ARevocationMadeInKsefIsMirroredAndDisablesTheKey) {
  CommandResult enrolled = Enroll("auth-m", "authentication");
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  const std::string serial =
      nlohmann::json::parse(enrolled.out)["certificate"]["serialNumber"];
  // Revoked outside sejf (the taxpayer's portal).
  ASSERT_TRUE(
      emulator_->Control("POST", "certificates/revoke", {{"serial", serial}})
          .ok());
  // sejfd's worker asks POST /certificates/query every second here.
  nlohmann::json key;
  for (int i = 0; i < 60; ++i) {
    absl::SleepFor(absl::Milliseconds(500));
    key = SejfJson({"key", "show", "auth-m"});
    if (key["ksefEnrollment"].value("ksefStatus", "") == "Revoked") break;
  }
  EXPECT_EQ(key["ksefEnrollment"].value("ksefStatus", ""), "Revoked");
  EXPECT_EQ(key["state"], "CREDENTIAL_STATE_DISABLED");
  EXPECT_NE(Open("on-auth-m", "auth-m").exit_code, 0);
}

TEST_F(KsefEnrollE2eTest, AnEnrollmentLeftPendingIsFinishedAfterARestart) {
  ASSERT_TRUE(emulator_
                  ->Control("POST", "certificates/settings",
                            {{"pendingPolls", 1000000}})
                  .ok());
  CommandResult enrolled = Enroll("auth-p", "authentication");
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  EXPECT_EQ(nlohmann::json::parse(enrolled.out)["ksefEnrollment"]["state"],
            "ENROLLMENT_STATE_PENDING");
  EXPECT_TRUE(CertificateFile("auth-p").empty());
  ASSERT_NO_FATAL_FAILURE(StopSejfd());

  ASSERT_TRUE(
      emulator_->Control("POST", "certificates/settings", {{"pendingPolls", 0}})
          .ok());
  ASSERT_NO_FATAL_FAILURE(StartSejfd(config_));
  // The new daemon's worker polls at start and every second.
  std::string state;
  for (int i = 0; i < 60 && state != "ENROLLMENT_STATE_COMPLETED"; ++i) {
    absl::SleepFor(absl::Milliseconds(500));
    state = SejfJson({"key", "show", "auth-p"})["ksefEnrollment"].value("state",
                                                                        "");
  }
  EXPECT_EQ(state, "ENROLLMENT_STATE_COMPLETED");
  EXPECT_FALSE(CertificateFile("auth-p").empty());
  EXPECT_EQ(Open("on-auth-p", "auth-p").exit_code, 0);
}

}  // namespace
}  // namespace sejf::testing
