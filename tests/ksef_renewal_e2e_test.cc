// Key versions and renewal end to end (issue 14, "Renewal"): a dev sejfd
// whose environment "emu" is the KSeF emulator, which can issue
// short-lived certificates (validitySeconds). What a user would notice:
// sejfd renews an enrolled key by itself once its certificate is inside
// renew_before_days, the key's XAdES signatures (verified by xmlsec1
// against the emulator's CA) switch to the new version's certificate, the
// old version is disabled once its certificate has expired, and a renewal
// left pending by a stopped daemon is finished by the next one.
//
// The only waits are bounded polls for the daemon's worker (every second);
// nothing asserts durations.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signer/ksef/testing/xml_testing.h"
#include "tests/testing/ksef_login_e2e_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class KsefRenewalE2eTest : public KsefLoginE2eTest {
 protected:
  static void SetUpTestSuite() {
    StartWithLogin(
        "[ksef]\nenrollment_wait_seconds = 20\nenrollment_poll_seconds = 1\n"
        "certificate_status_seconds = 3600\n");
  }

  void SetUp() override { CertificateSettings({{"pendingPolls", 0}}); }

  static nlohmann::json Versions(const std::string& key) {
    return SejfJson({"key", "versions", key})["versions"];
  }

  // Polls `key versions` (the worker runs every second) until `done`.
  template <typename Done>
  static nlohmann::json AwaitVersions(const std::string& key, Done done) {
    nlohmann::json v;
    for (int i = 0; i < 300; ++i) {
      v = Versions(key);
      if (done(v)) return v;
      absl::SleepFor(absl::Milliseconds(500));
    }
    return v;
  }

  // A XAdES AuthTokenRequest signed by `key`, verified by xmlsec1 against
  // the emulator's CA; the certificate it carries (Base64 DER).
  static std::string SignedCertificate(const std::string& key) {
    const std::string challenge = absl::StrCat(
        absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
        "-CR-226FB7B000-3ACF9BE4C0-10");
    CommandResult r = Sejf({"auth", "xades", "--key", key, "--challenge",
                            challenge, "--context", kContext});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    absl::StatusOr<std::string> ca =
        ReadFile(emulator_->state_dir() + "/ksef-ca.pem");
    EXPECT_TRUE(ca.ok());
    absl::Status verified = signer::testing::XmlsecVerify(r.out, *ca);
    EXPECT_TRUE(verified.ok()) << verified;
    const std::string flat = absl::StrReplaceAll(
        r.out, {{"\n", ""}, {"\r", ""}, {" ", ""}, {"&#13;", ""}});
    const std::string open = "<ds:X509Certificate>";
    const std::size_t at = flat.find(open);
    if (at == std::string::npos) return "";
    const std::size_t end = flat.find("</ds:X509Certificate>", at);
    return flat.substr(at + open.size(), end - at - open.size());
  }
};

TEST_F(KsefRenewalE2eTest, SejfdRenewsSigningSwitchesAndTheOldOneIsDisabled) {
  // Version 1 ends 90 s after issue; no automatic renewal yet.
  CertificateSettings({{"validitySeconds", 90}});
  Expect0(Sejf({"key", "enroll", "--name", "auth-r", "--session", "main",
                "--type", "authentication", "--renew-before-days", "0"}));
  CertificateSettings({{"validitySeconds", 0}});
  nlohmann::json v = Versions("auth-r");
  ASSERT_EQ(v.size(), 1u) << v.dump();
  const std::string first_der = v[0]["key"]["certificate"].value("der", "");
  ASSERT_FALSE(first_der.empty());
  EXPECT_EQ(SignedCertificate("auth-r"), first_der);
  Expect0(Open("on-r1", "auth-r"));

  // Inside 30 days of the end: sejfd renews through the session on the key.
  Expect0(Sejf({"key", "set", "auth-r", "--renew-before-days", "30"}));
  v = AwaitVersions("auth-r", [](const nlohmann::json& v) {
    return v.size() == 2 && v[1].value("current", false);
  });
  ASSERT_EQ(v.size(), 2u) << v.dump();
  ASSERT_TRUE(v[1].value("current", false)) << v.dump();
  EXPECT_EQ(v[1]["key"]["ksefEnrollment"]["session"], "sessions/on-r1");
  const std::string second_der = v[1]["key"]["certificate"].value("der", "");
  ASSERT_FALSE(second_der.empty());
  EXPECT_NE(second_der, first_der);
  // The key's signatures carry the new version's certificate now.
  EXPECT_EQ(SignedCertificate("auth-r"), second_der);
  // The renewal is audited as sejfd's.
  nlohmann::json events =
      SejfJson({"audit", "list", "--operation", "keys.enroll"})["events"];
  bool by_sejfd = false;
  for (const nlohmann::json& e : events) {
    by_sejfd = by_sejfd || (e.value("identity", "") == "sejfd" &&
                            e.value("resource", "") == "keys/auth-r");
  }
  EXPECT_TRUE(by_sejfd) << events.dump();
  // `key show` names the version that signs.
  CommandResult shown = Sejf({"key", "show", "auth-r"});
  EXPECT_THAT(shown.out, HasSubstr("current:      version 2"));

  // Once version 1's certificate has expired, it is disabled; version 2
  // still signs and nothing more is renewed.
  v = AwaitVersions("auth-r", [](const nlohmann::json& v) {
    return v.size() >= 1 && v[0]["key"]["state"] == "CREDENTIAL_STATE_DISABLED";
  });
  EXPECT_EQ(v[0]["key"]["state"], "CREDENTIAL_STATE_DISABLED") << v.dump();
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(SignedCertificate("auth-r"), second_der);
  events = SejfJson(
      {"audit", "list", "--operation", "keys.version_disabled"})["events"];
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].value("resource", ""), "keys/auth-r");
  EXPECT_THAT(events[0].value("detail", ""), HasSubstr("version 1 serial"));
  Expect0(Open("on-r2", "auth-r"));
}

TEST_F(KsefRenewalE2eTest, ExpiringWithinJudgesTheVersionThatSigns) {
  // "v1-soon": version 1 ends in 10 days, version 2 (which signs) in the
  // emulator's default; "v2-soon" the reverse. No automatic renewals.
  const int ten_days = 10 * 86400;
  CertificateSettings({{"validitySeconds", ten_days}});
  Expect0(Sejf({"key", "enroll", "--name", "v1-soon", "--session", "main",
                "--type", "authentication", "--renew-before-days", "0"}));
  CertificateSettings({{"validitySeconds", 0}});
  Expect0(Sejf({"key", "enroll", "--name", "v2-soon", "--session", "main",
                "--type", "authentication", "--renew-before-days", "0"}));
  Expect0(Sejf({"key", "renew", "v1-soon"}));
  CertificateSettings({{"validitySeconds", ten_days}});
  Expect0(Sejf({"key", "renew", "v2-soon"}));
  CertificateSettings({{"validitySeconds", 0}});
  for (const char* key : {"v1-soon", "v2-soon"}) {
    nlohmann::json v = Versions(key);
    ASSERT_EQ(v.size(), 2u) << v.dump();
    ASSERT_TRUE(v[1].value("current", false)) << v.dump();
  }

  // The server's filter (ListKeys expiring_within_days) and the client's
  // (--expiring) agree: the key whose signing version ends soon.
  for (const std::vector<std::string>& filter :
       {std::vector<std::string>{"--expiring-within", "30"},
        std::vector<std::string>{"--expiring", "30d"}}) {
    std::vector<std::string> args = {"key", "list"};
    args.insert(args.end(), filter.begin(), filter.end());
    std::vector<std::string> names;
    const nlohmann::json listed = SejfJson(args);
    for (const nlohmann::json& k : listed["keys"]) {
      names.push_back(k.value("name", ""));
    }
    EXPECT_THAT(names, ::testing::Contains("keys/v2-soon")) << filter[0];
    EXPECT_THAT(names, Not(::testing::Contains("keys/v1-soon"))) << filter[0];
  }
}

TEST_F(KsefRenewalE2eTest, ARenewalLeftPendingIsFinishedAfterARestart) {
  Expect0(Sejf({"key", "enroll", "--name", "auth-p", "--session", "main",
                "--type", "authentication"}));
  Expect0(Open("on-p", "auth-p"));
  CertificateSettings({{"pendingPolls", 1000000}});
  CommandResult renewed =
      Sejf({"--output", "json", "key", "renew", "auth-p", "--session", "on-p"});
  // The call waits for KSeF up to its deadline, then answers pending.
  ASSERT_EQ(renewed.exit_code, 0) << renewed.err;
  nlohmann::json key = nlohmann::json::parse(renewed.out);
  EXPECT_EQ(key["name"], "keys/auth-p@2");
  EXPECT_EQ(key["ksefEnrollment"]["state"], "ENROLLMENT_STATE_PENDING");
  ASSERT_NO_FATAL_FAILURE(StopSejfd());

  CertificateSettings({{"pendingPolls", 0}});
  ASSERT_NO_FATAL_FAILURE(StartSejfd(config_));
  nlohmann::json v = AwaitVersions("auth-p", [](const nlohmann::json& v) {
    return v.size() == 2 && v[1].value("current", false);
  });
  ASSERT_EQ(v.size(), 2u) << v.dump();
  EXPECT_TRUE(v[1].value("current", false)) << v.dump();
  EXPECT_EQ(v[1]["key"]["ksefEnrollment"]["state"],
            "ENROLLMENT_STATE_COMPLETED");
  EXPECT_EQ(SignedCertificate("auth-p"),
            v[1]["key"]["certificate"].value("der", ""));
}

}  // namespace
}  // namespace sejf::testing
