// KSeF tokens minted by sejfd end to end (issue 14; docs/lifecycle-tokens.md):
// `sejf token create` through a key session against the KSeF emulator
// (tests/ksef_emulator/tokens.py, which mints and checks tokens with code of
// its own), the status watch, `sejf token destroy --revoke-in-ksef`.
//
// What a user would notice: the minted token logs in (a token session opens
// with it), it is nowhere but sealed (not in the data directory, sejfd's
// log, the audit trail or any listing — the emulator tells the test what it
// minted); a revocation made in KSeF shows in `token show` and closes the
// sessions built on it; destroy with revoke ends it in KSeF first.
//
// The status watch runs every second here ([ksef]
// token_status_interval_seconds = 1); the tests wait for what it shows with
// a bounded poll, asserting nothing about durations.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/ksef_emulator.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEnvironment[] = "emu";
constexpr char kContext[] = "nip:5265877635";
constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";
constexpr char kKey[] = "mint-key";
constexpr char kSession[] = "mint";

class KsefTokensE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<KsefEmulator>> emulator =
        KsefEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    ASSERT_TRUE(emulator_->Configure({.pending_polls = 1}).ok());
    SejfdConfig config;
    config.config =
        absl::StrCat("[ksef]\ntoken_status_interval_seconds = 1\n\n",
                     emulator_->EnvironmentConfig(kEnvironment));
    ASSERT_NO_FATAL_FAILURE(StartSejfd(config));
    Expect0(
        Sejf({"key", "generate", "--name", kKey, "--usage", "authentication"}));
    Expect0(Sejf(
        {"key", "self-sign", kKey, "--subject", kSubject, "--days", "30"}));
    Expect0(Sejf({"session", "open", "--name", kSession, "--key", kKey,
                  "--context", kContext, "--environment", kEnvironment}));
  }

  static void TearDownTestSuite() {
    SejfdTest::TearDownTestSuite();
    emulator_.reset();
  }

  static void Expect0(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  // `sejf token create NAME` through the key session.
  static CommandResult Create(const std::string& name) {
    return Sejf({"--output", "json", "token", "create", "--name", name,
                 "--session", kSession, "--permissions",
                 "InvoiceRead,InvoiceWrite", "--description",
                 "ERP invoices (e2e)"});
  }

  // What the emulator minted under `reference`: {referenceNumber, token,
  // status, …}; null when it minted nothing by that number.
  static nlohmann::json Minted(const std::string& reference) {
    absl::StatusOr<nlohmann::json> all = emulator_->Control("GET", "tokens");
    EXPECT_TRUE(all.ok()) << all.status();
    if (!all.ok()) return nullptr;
    for (const nlohmann::json& t : (*all)["tokens"]) {
      if (t["referenceNumber"] == reference) return t;
    }
    return nullptr;
  }

  // `token show NAME`'s KSeF status, polled until it is `want` (at most
  // 60 s); the last one seen.
  static std::string WaitForKsefStatus(const std::string& name,
                                       const std::string& want) {
    std::string seen;
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      nlohmann::json token = SejfJson({"token", "show", name});
      seen = token.value("ksefStatus", "");
      if (seen == want) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return seen;
  }

  static CommandResult OpenWithToken(const std::string& session,
                                     const std::string& token) {
    return Sejf({"session", "open", "--name", session, "--token", token,
                 "--context", kContext, "--environment", kEnvironment});
  }

  static inline std::unique_ptr<KsefEmulator> emulator_;
};

TEST_F(KsefTokensE2eTest, CreateMintsATokenThatLogsInAndThatNobodySees) {
  CommandResult created = Create("erp");
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  nlohmann::json token = JsonOf(created);
  const std::string reference = token.value("ksefReferenceNumber", "");
  EXPECT_THAT(reference, HasSubstr("-EC-"));
  EXPECT_EQ(token.value("ksefStatus", ""), "KSEF_TOKEN_STATUS_ACTIVE");
  EXPECT_EQ(token.value("ksefEnvironment", ""), kEnvironment);
  EXPECT_EQ(token.value("context", ""), kContext);
  EXPECT_EQ(token.value("description", ""), "ERP invoices (e2e)");

  // The emulator minted it with exactly these permissions; it is Active.
  nlohmann::json minted = Minted(reference);
  ASSERT_FALSE(minted.is_null());
  EXPECT_EQ(minted["status"], "Active");
  EXPECT_EQ(minted["permissions"],
            nlohmann::json::array({"InvoiceRead", "InvoiceWrite"}));
  const std::string secret = minted["token"];
  ASSERT_FALSE(secret.empty());

  // A login with the minted token works.
  Expect0(OpenWithToken("erp-login", "erp"));

  // The secret is nowhere but sealed.
  std::vector<std::pair<std::string, std::string>> haystacks;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(data_dir())) {
    if (!entry.is_regular_file()) continue;
    absl::StatusOr<std::string> bytes = ReadFile(entry.path().string());
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    haystacks.emplace_back(entry.path().string(), *bytes);
  }
  haystacks.emplace_back("sejfd's stderr", daemon().Stderr());
  haystacks.emplace_back("token create", created.out + created.err);
  CommandResult audit = Sejf({"--output", "json", "audit", "list"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr(reference));  // audited by reference
  haystacks.emplace_back("audit list", audit.out);
  for (const char* format : {"text", "json"}) {
    CommandResult list = Sejf({"--output", format, "token", "list"});
    ASSERT_EQ(list.exit_code, 0) << list.err;
    EXPECT_THAT(list.out, HasSubstr(reference));
    haystacks.emplace_back(absl::StrCat("token list ", format), list.out);
    CommandResult show = Sejf({"--output", format, "token", "show", "erp"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    haystacks.emplace_back(absl::StrCat("token show ", format), show.out);
  }
  const std::string random_part = secret.substr(secret.rfind('|') + 1);
  for (const auto& [where, text] : haystacks) {
    EXPECT_FALSE(absl::StrContains(text, secret)) << where;
    EXPECT_FALSE(absl::StrContains(text, random_part)) << where;
  }
}

TEST_F(KsefTokensE2eTest, BadInputIsRefusedAndNothingIsMinted) {
  CommandResult r =
      Sejf({"token", "create", "--name", "short", "--session", kSession,
            "--permissions", "InvoiceRead", "--description", "abc"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("description"));
  r = Sejf({"token", "create", "--name", "nosession", "--session", "nope",
            "--permissions", "InvoiceRead", "--description", "no session"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("not found"));
  EXPECT_NE(Sejf({"token", "show", "short"}).exit_code, 0);
  EXPECT_NE(Sejf({"token", "show", "nosession"}).exit_code, 0);
}

TEST_F(KsefTokensE2eTest, StatusWatchSeesARevocationMadeInKsef) {
  CommandResult created = Create("watched");
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string reference =
      JsonOf(created).value("ksefReferenceNumber", "");
  Expect0(OpenWithToken("watched-login", "watched"));

  // Revoked in the KSeF portal.
  ASSERT_TRUE(
      emulator_
          ->Control("POST", "tokens/status",
                    {{"referenceNumber", reference}, {"status", "Revoked"}})
          .ok());
  EXPECT_EQ(WaitForKsefStatus("watched", "KSEF_TOKEN_STATUS_REVOKED"),
            "KSEF_TOKEN_STATUS_REVOKED");
  CommandResult show = Sejf({"token", "show", "watched"});
  EXPECT_THAT(show.out, HasSubstr("ksef status:  Revoked"));
  // The session built on it is closed; the key session stays.
  EXPECT_EQ(SejfJson({"session", "show", "watched-login"}).value("state", ""),
            "SESSION_STATE_CLOSED");
  EXPECT_EQ(SejfJson({"session", "show", kSession}).value("state", ""),
            "SESSION_STATE_ACTIVE");
  // And it cannot log in any more.
  CommandResult again = OpenWithToken("watched-again", "watched");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, HasSubstr("not active in KSeF"));
  // The change is audited.
  CommandResult audit = Sejf({"--output", "json", "audit", "list"});
  EXPECT_THAT(audit.out, HasSubstr("tokens.ksef_status"));
}

TEST_F(KsefTokensE2eTest, CheckAsksKsefNow) {
  CommandResult created = Create("checked");
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string reference =
      JsonOf(created).value("ksefReferenceNumber", "");
  EXPECT_EQ(SejfJson({"token", "check", "checked"}).value("ksefStatus", ""),
            "KSEF_TOKEN_STATUS_ACTIVE");
  ASSERT_TRUE(
      emulator_
          ->Control("POST", "tokens/status",
                    {{"referenceNumber", reference}, {"status", "Failed"}})
          .ok());
  EXPECT_EQ(SejfJson({"token", "check", "checked"}).value("ksefStatus", ""),
            "KSEF_TOKEN_STATUS_FAILED");
  // A token without a reference number cannot be asked about.
  Expect0(Sejf({"token", "import", "--name", "unasked", "--context", kContext},
               "an-opaque-token-9876543210\n"));
  CommandResult r = Sejf({"token", "check", "unasked"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("no KSeF reference number"));
}

TEST_F(KsefTokensE2eTest, DestroyWithRevokeEndsTheTokenInKsefFirst) {
  CommandResult created = Create("doomed");
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string reference =
      JsonOf(created).value("ksefReferenceNumber", "");
  const std::string secret = Minted(reference)["token"];
  Expect0(OpenWithToken("doomed-login", "doomed"));
  const std::string login_reference =
      SejfJson({"session", "show", "doomed-login"})
          .value("referenceNumber", "");
  ASSERT_FALSE(login_reference.empty());

  // --revoke-in-ksef without a session is a usage error: nothing happens.
  EXPECT_NE(Sejf({"token", "destroy", "doomed", "--revoke-in-ksef", "--yes"})
                .exit_code,
            0);
  EXPECT_EQ(Minted(reference)["status"], "Active");

  CommandResult destroyed =
      Sejf({"--output", "json", "token", "destroy", "doomed",
            "--revoke-in-ksef", "--session", kSession, "--yes"});
  ASSERT_EQ(destroyed.exit_code, 0) << destroyed.out << destroyed.err;
  EXPECT_EQ(JsonOf(destroyed).value("state", ""), "CREDENTIAL_STATE_DESTROYED");
  // KSeF revoked it: a login with it, made with the emulator's own view of
  // the token, is refused.
  nlohmann::json minted = Minted(reference);
  EXPECT_THAT(std::string(minted["status"]),
              ::testing::AnyOf("Revoking", "Revoked"));
  EXPECT_THAT(destroyed.out, Not(HasSubstr(secret)));
  // The session logged in with it is closed, in KSeF too (revoking a token
  // does not end its sessions there, ksef-api#424).
  EXPECT_EQ(SejfJson({"session", "show", "doomed-login"}).value("state", ""),
            "SESSION_STATE_CLOSED");
  absl::StatusOr<nlohmann::json> operations = emulator_->Operations();
  ASSERT_TRUE(operations.ok()) << operations.status();
  bool ended = false;
  for (const nlohmann::json& op : *operations) {
    if (op["referenceNumber"] == login_reference) ended = op["revoked"];
  }
  EXPECT_TRUE(ended) << login_reference;
}

TEST_F(KsefTokensE2eTest, AnImportedTokenKeepsTheReferenceNumberItCarries) {
  Expect0(
      Sejf({"token", "import", "--name", "portal-tok", "--context", kContext},
           "20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-5265877635|"
           "0123456789abcdef\n"));
  nlohmann::json token = SejfJson({"token", "show", "portal-tok"});
  EXPECT_EQ(token.value("ksefReferenceNumber", ""),
            "20251010-EC-1DCE3E3000-12ECB5B36E-45");
  EXPECT_EQ(token.value("ksefEnvironment", ""), "");
  Expect0(
      Sejf({"token", "import", "--name", "opaque-tok", "--context", kContext},
           "an-opaque-token-0123456789\n"));
  EXPECT_EQ(SejfJson({"token", "show", "opaque-tok"})
                .value("ksefReferenceNumber", ""),
            "");
  // Without a reference number it cannot be revoked from here.
  CommandResult r = Sejf({"token", "destroy", "opaque-tok", "--revoke-in-ksef",
                          "--session", kSession, "--yes"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("KSeF portal"));
}

}  // namespace
}  // namespace sejf::testing
