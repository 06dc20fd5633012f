// Expiry everywhere (issue 14) against a real dev sejfd: `sejf key list
// --expiring`, `sejf token list --expiring`, the expiring keys in `sejf
// status`, and the daemon's warning (log and audit) for a key whose
// certificate — issued by a throwaway CA with openssl — ends in 5 days.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";

// YYYY-MM-DD of the day `days` from now (UTC).
std::string FormatDay(int days) {
  return absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(24) * days,
                          absl::UTCTimeZone());
}

class ExpiryCliE2eTest : public SejfdTest {
 protected:
  void SetUp() override { StartSejfd(); }

  static void Generate(const std::string& name) {
    CommandResult r =
        Sejf({"key", "generate", "--name", name, "--usage", "authentication"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Attaches to key `key` a certificate issued over its CSR by a throwaway
  // CA with `openssl x509 -req`, valid for `days` days, serial `serial`.
  static void AttachIssued(const std::string& key, int days,
                           const std::string& serial) {
    CommandResult csr = Sejf({"key", "csr", key, "--subject", kSubject});
    ASSERT_EQ(csr.exit_code, 0) << csr.err;
    WriteTemp(key + ".csr", csr.out);
    WriteTemp(key + ".ext", "keyUsage=critical,digitalSignature\n");
    CommandResult issue = Shell(absl::StrCat(
        "cd ", temp_dir(),
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
        "-nodes -keyout ",
        key, "-ca.key -out ", key, "-ca.pem -subj /CN=Test-CA -days 400 ",
        "2>&1 && openssl x509 -req -in ", key, ".csr -CA ", key,
        "-ca.pem -CAkey ", key, "-ca.key -set_serial ", serial, " -days ", days,
        " -extfile ", key, ".ext -out ", key, ".pem 2>&1 && cat ", key, ".pem ",
        key, "-ca.pem > ", key, "-chain.pem"));
    ASSERT_EQ(issue.exit_code, 0) << issue.out;
    CommandResult attach = Sejf(
        {"key", "attach-cert", key, temp_dir() + "/" + key + "-chain.pem"});
    ASSERT_EQ(attach.exit_code, 0) << attach.err;
  }

  // Three keys: one ending in 5 days, one in 300, one without certificate.
  static void MakeKeys() {
    Generate("five-days");
    AttachIssued("five-days", 5, "0x5E1F");
    Generate("far");
    AttachIssued("far", 300, "0x0FA4");
    Generate("bare");
  }
};

TEST_F(ExpiryCliE2eTest,
       KeyListExpiringShowsOnlyCertificatesEndingInTheWindow) {
  MakeKeys();
  CommandResult month = Sejf({"key", "list", "--expiring", "30d"});
  ASSERT_EQ(month.exit_code, 0) << month.err;
  EXPECT_THAT(month.out, HasSubstr("keys/five-days "));
  EXPECT_THAT(month.out, HasSubstr("in 5 days"));
  EXPECT_THAT(month.out, Not(HasSubstr("keys/far ")));
  EXPECT_THAT(month.out, Not(HasSubstr("keys/bare ")));

  CommandResult day = Sejf({"key", "list", "--expiring", "1d"});
  ASSERT_EQ(day.exit_code, 0) << day.err;
  EXPECT_THAT(day.out, Not(HasSubstr("keys/five-days ")));
  EXPECT_THAT(day.out, Not(HasSubstr("keys/far ")));

  nlohmann::json year =
      SejfJson({"key", "list", "--expiring", "8760h"})["keys"];
  ASSERT_EQ(year.size(), 2u) << year;
  EXPECT_EQ(year[0]["name"], "keys/far");
  EXPECT_EQ(year[1]["name"], "keys/five-days");
}

TEST_F(ExpiryCliE2eTest, BadWindowIsAUsageErrorNamingTheFlag) {
  for (const std::string window : {"30", "30x", "d", "-3d", "0d", "99999d"}) {
    CommandResult r = Sejf({"key", "list", "--expiring", window});
    EXPECT_EQ(r.exit_code, 2) << window;
    EXPECT_THAT(r.err, HasSubstr("--expiring")) << r.err;
    EXPECT_THAT(r.err, HasSubstr("30d or 12h")) << r.err;
    EXPECT_EQ(r.out, "") << window;
  }
  EXPECT_EQ(Sejf({"token", "list", "--expiring", "soon"}).exit_code, 2);
}

TEST_F(ExpiryCliE2eTest, StatusCountsKeysExpiringWithinThirtyDays) {
  CommandResult none = Sejf({"status"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, HasSubstr("expiring:    no key within 30 days"));

  MakeKeys();
  CommandResult r = Sejf({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("expiring:    1 key within 30 days; soonest "
                               "keys/five-days in 5 days"));
  nlohmann::json json = SejfJson({"status"});
  EXPECT_EQ(json["keys_expiring"]["count"], 1) << json;
  EXPECT_EQ(json["keys_expiring"]["soonest"], "keys/five-days") << json;

  // A caller without keys.read sees no expiry line (and no error).
  CommandResult other = SejfAs("erp-7", {"status"});
  EXPECT_THAT(other.out, Not(HasSubstr("expiring:")));
}

TEST_F(ExpiryCliE2eTest, TokenListExpiringMatchesOnlyTokensWithAnExpiry) {
  const std::string soon = FormatDay(7);
  ASSERT_EQ(Sejf({"token", "import", "--name", "soon", "--context",
                  "nip:5265877635", "--expires", soon},
                 "secret-of-soon\n")
                .exit_code,
            0);
  ASSERT_EQ(Sejf({"token", "import", "--name", "never", "--context",
                  "nip:5265877635"},
                 "secret-of-never\n")
                .exit_code,
            0);
  CommandResult r = Sejf({"token", "list", "--expiring", "30d"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("tokens/soon "));
  EXPECT_THAT(r.out, Not(HasSubstr("tokens/never ")));
  CommandResult d = Sejf({"token", "list", "--expiring", "2d"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_THAT(d.out, Not(HasSubstr("tokens/soon ")));
}

TEST_F(ExpiryCliE2eTest, DaemonWarnsOnceAndAuditsTheKeyAtTheSevenDayMark) {
  MakeKeys();
  // The check runs when sejfd starts (and then hourly).
  RestartSejfd();
  EXPECT_THAT(daemon().Stderr(), HasSubstr("key_certificate_expiring"));
  EXPECT_THAT(daemon().Stderr(), HasSubstr("keys/five-days"));
  nlohmann::json events = SejfJson(
      {"audit", "list", "--operation", "keys.expiry_warning"})["events"];
  ASSERT_EQ(events.size(), 1u) << events;
  EXPECT_EQ(events[0]["resource"], "keys/five-days");
  EXPECT_EQ(events[0]["identity"], "sejfd");
  const std::string detail = events[0]["detail"];
  EXPECT_THAT(detail, HasSubstr("serial 5E1F"));
  EXPECT_THAT(detail, HasSubstr("threshold 7"));
  EXPECT_THAT(detail, HasSubstr("days_left 4"));  // 5 days less the test run
}

}  // namespace
}  // namespace sejf::testing
