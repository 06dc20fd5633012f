// The sejf CLI against a real sejfd: exit codes, text and JSON output,
// addresses and credentials from flags and from SEJF_* variables.
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/policy/operations.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

class CliE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() { StartSejfd(); }

  // The CLI with no SEJF_* variables from the test's own environment.
  static CommandResult Sejf(std::vector<std::string> args,
                            std::map<std::string, std::string> env = {}) {
    return RunSejf(std::move(args), std::move(env));
  }

  static std::string Tls(const std::string& name) { return TlsPath(name); }
};

TEST_F(CliE2eTest, StatusOverUnixSocketPrintsServingAndIdentity) {
  CommandResult r =
      Sejf({"--addr", "unix:" + daemon().unix_socket(), "status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "SERVING")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, absl::StrCat("unix:", geteuid())))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "auth.xades")) << r.out;
}

TEST_F(CliE2eTest, StatusOverMutualTlsFromEnvironmentAsJson) {
  CommandResult r = Sejf({"--output", "json", "status"},
                         {{"SEJF_ADDR", daemon().tls_address()},
                          {"SEJF_CACERT", Tls("ca.pem")},
                          {"SEJF_CLIENT_CERT", Tls("admin.pem")},
                          {"SEJF_CLIENT_KEY", Tls("admin.key")}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["health"], "SERVING");
  EXPECT_EQ(json["identity"], "admin");
  EXPECT_EQ(json["transport"], "tls");
  EXPECT_EQ(json["granted_operations"].size(),
            server::kOperationCount);  // every operation
  EXPECT_EQ(json["dev_mode"], true);
}

TEST_F(CliE2eTest, MissingAddressIsAUsageError) {
  CommandResult r = Sejf({"status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "--addr")) << r.err;
}

TEST_F(CliE2eTest, TlsAddressWithoutClientKeyIsAUsageErrorNamingTheOption) {
  CommandResult r = Sejf({"--addr", daemon().tls_address(), "--ca",
                          Tls("ca.pem"), "--cert", Tls("admin.pem"), "status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "--key")) << r.err;
}

TEST_F(CliE2eTest, UnknownFlagIsAUsageError) {
  CommandResult r = Sejf({"status", "--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliE2eTest, UnreachableServerExitsOneWithTheGrpcCode) {
  CommandResult r = Sejf({"--addr", "unix:" + temp_dir() + "/nope.sock",
                          "--timeout", "2", "status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "UNAVAILABLE")) << r.err;
}

}  // namespace
}  // namespace sejf::testing
