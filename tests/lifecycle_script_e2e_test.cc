// The "Done when" of issue 14: docs/examples/lifecycle.sh — one self-signed
// key, a certificate enrolled from KSeF, a token minted, the certificate
// renewed and the old one revoked, all through `sejf` — run against a dev
// sejfd whose environment "emu" is the KSeF emulator. Its effects are
// checked independently of sejf's code: `openssl verify` of both versions'
// certificates against the emulator's CA, and the emulator's own records
// (the first certificate revoked as superseded, the second active, the
// token minted); `sejf key versions` shows what a user would see.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/ksef_emulator.h"
#include "tests/testing/sejfd_process.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kEnvironment[] = "emu";

class LifecycleScriptE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<KsefEmulator>> emulator =
        KsefEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    SejfdConfig config;
    config.config = absl::StrCat(
        "[ksef]\nenrollment_wait_seconds = 20\n"
        "enrollment_poll_seconds = 1\n\n",
        emulator_->EnvironmentConfig(kEnvironment));
    ASSERT_NO_FATAL_FAILURE(StartSejfd(config));
  }

  static void TearDownTestSuite() {
    SejfdTest::TearDownTestSuite();
    emulator_.reset();
  }

  static std::unique_ptr<KsefEmulator> emulator_;
};

std::unique_ptr<KsefEmulator> LifecycleScriptE2eTest::emulator_;

TEST_F(LifecycleScriptE2eTest, TheScriptEnrollsMintsRenewsAndRevokes) {
  CommandResult run =
      RunCommand({"/bin/bash", SourceDir() + "/docs/examples/lifecycle.sh"},
                 {{"SEJF", SejfCliBinary()},
                  {"SEJF_ADDR", "unix:" + daemon().unix_socket()},
                  {"SEJF_CACERT", ""},
                  {"SEJF_CLIENT_CERT", ""},
                  {"SEJF_CLIENT_KEY", ""},
                  {"KSEF_ENVIRONMENT", kEnvironment},
                  {"NAME_PREFIX", "doc"}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  // Two versions of doc-auth; the second signs.
  nlohmann::json versions =
      SejfJson({"key", "versions", "doc-auth"})["versions"];
  ASSERT_EQ(versions.size(), 2u) << versions.dump();
  EXPECT_EQ(versions[0].value("version", 0), 1);
  EXPECT_FALSE(versions[0].value("current", false));
  EXPECT_EQ(versions[0]["key"]["state"], "CREDENTIAL_STATE_DISABLED");
  EXPECT_EQ(versions[0]["key"]["ksefEnrollment"]["ksefStatus"], "Revoked");
  EXPECT_EQ(versions[1].value("version", 0), 2);
  EXPECT_TRUE(versions[1].value("current", false));
  EXPECT_EQ(versions[1]["key"]["state"], "CREDENTIAL_STATE_ACTIVE");

  // Both certificates issued by the emulator's CA (openssl), for different
  // keys.
  const std::string ca = emulator_->state_dir() + "/ksef-ca.pem";
  std::vector<std::string> serials;
  for (int i = 0; i < 2; ++i) {
    const nlohmann::json& cert = versions[i]["key"]["certificate"];
    ASSERT_TRUE(cert.contains("pem")) << versions[i].dump();
    const std::string pem = WriteTemp(absl::StrCat("doc-auth-v", i + 1, ".pem"),
                                      cert["pem"].get<std::string>());
    CommandResult verify =
        Shell(absl::StrCat("openssl verify -CAfile '", ca, "' '", pem, "'"));
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    serials.push_back(cert["serialNumber"].get<std::string>());
  }
  EXPECT_NE(versions[0]["key"]["publicKeyDer"],
            versions[1]["key"]["publicKeyDer"]);

  // The emulator's record: the first revoked as superseded, the second
  // active.
  absl::StatusOr<nlohmann::json> issued =
      emulator_->Control("GET", "certificates");
  ASSERT_TRUE(issued.ok()) << issued.status();
  int seen = 0;
  for (const nlohmann::json& c : (*issued)["certificates"]) {
    if (c["serial"] == serials[0]) {
      ++seen;
      EXPECT_EQ(c["status"], "Revoked");
      EXPECT_EQ(c["revocationReason"], "Superseded");
    } else if (c["serial"] == serials[1]) {
      ++seen;
      EXPECT_EQ(c["status"], "Active");
    }
  }
  EXPECT_EQ(seen, 2) << issued->dump();

  // The token was minted in KSeF and is in the vault, its secret nowhere
  // in the script's output.
  nlohmann::json token = SejfJson({"token", "show", "doc-token"});
  EXPECT_FALSE(token.value("ksefReferenceNumber", "").empty()) << token.dump();
  absl::StatusOr<nlohmann::json> minted = emulator_->Control("GET", "tokens");
  ASSERT_TRUE(minted.ok());
  bool found = false;
  for (const nlohmann::json& t : (*minted)["tokens"]) {
    if (t["referenceNumber"] == token.value("ksefReferenceNumber", "")) {
      found = true;
      const std::string secret = t.value("token", "");
      ASSERT_FALSE(secret.empty());
      EXPECT_THAT(run.out + run.err, ::testing::Not(HasSubstr(secret)));
    }
  }
  EXPECT_TRUE(found) << minted->dump();

  // The session on the first version was closed by the revoke; the one
  // opened after logs in with the second.
  EXPECT_EQ(SejfJson({"session", "show", "doc-main"})["state"],
            "SESSION_STATE_CLOSED");
  EXPECT_EQ(SejfJson({"session", "show", "doc-after"})["state"],
            "SESSION_STATE_ACTIVE");
}

}  // namespace
}  // namespace sejf::testing
