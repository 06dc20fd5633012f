// [ksef.environments.NAME] in sejfd's configuration file: read, checked and
// named in every error.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config_test_util.h"
#include "server/config/load_config.h"

namespace sejf::server {
namespace {

using testing::ConfigTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kMinimalFile;

class KsefEnvironmentsTest : public ConfigTest {
 protected:
  // The message of the error LoadConfig gives for kMinimalFile + `extra`.
  std::string ErrorOf(const std::string& extra) {
    auto config = LoadConfig(FileSources(std::string(kMinimalFile) + extra));
    EXPECT_FALSE(config.ok()) << "unexpectedly loaded: " << extra;
    return config.ok() ? "" : std::string(config.status().message());
  }
};

TEST_F(KsefEnvironmentsTest, AnchorsAndPinsAreReadPerEnvironment) {
  auto config = LoadConfig(FileSources(std::string(kMinimalFile) + R"(
[ksef.environments.prod]
mf_trust_anchors = "mf/anchors.pem"
[ksef.environments.acme-staging]
mf_pinned_fingerprints = [
  "EA:0C:EC:4D:FF:87:5E:B8:0F:F7:84:3F:FF:3B:04:CE:8A:5C:A6:16:E0:81:00:0D:AD:2D:8F:8A:47:46:00:5C",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
]
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& environments = config->ksef.environments;
  ASSERT_EQ(environments.size(), 2u);
  EXPECT_EQ(environments.at("prod").mf_trust_anchors, dir_ + "/mf/anchors.pem");
  EXPECT_THAT(environments.at("prod").mf_pinned_fingerprints, IsEmpty());
  EXPECT_THAT(environments.at("acme-staging").mf_pinned_fingerprints,
              ElementsAre("ea0cec4dff875eb80ff7843fff3b04ce8a5ca616e081000dad2d"
                          "8f8a4746005c",
                          std::string(64, 'a')));
  EXPECT_THAT(DescribeConfig(*config),
              HasSubstr("ksef.environments.prod.mf_trust_anchors"));
}

TEST_F(KsefEnvironmentsTest, NoSectionMeansNoConfiguredTrust) {
  auto config = LoadConfig(FileSources(kMinimalFile));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->ksef.environments, IsEmpty());
}

TEST_F(KsefEnvironmentsTest, MalformedFingerprintNamesTheKeyAndItsIndex) {
  std::string error = ErrorOf(R"(
[ksef.environments.prod]
mf_pinned_fingerprints = ["ea0cec4d", "zz"]
)");
  EXPECT_THAT(error,
              HasSubstr("ksef.environments.prod.mf_pinned_fingerprints[0]"));
  EXPECT_THAT(error, HasSubstr("sejfd.toml line 11"));
  EXPECT_THAT(error, HasSubstr("64 hex digits"));
  EXPECT_THAT(ErrorOf("[ksef.environments.prod]\n"
                      "mf_pinned_fingerprints = \"ea0c\"\n"),
              HasSubstr("must be an array of strings"));
}

TEST_F(KsefEnvironmentsTest, UnknownKeysAreErrorsNamingTheKnownOnes) {
  std::string error = ErrorOf(R"(
[ksef.environments.prod]
mf_trust_anchor = "/etc/sejf/mf.pem"
)");
  EXPECT_THAT(error, HasSubstr("ksef.environments.prod.mf_trust_anchor"));
  EXPECT_THAT(error, HasSubstr("mf_trust_anchors, mf_pinned_fingerprints"));
  EXPECT_THAT(ErrorOf("[ksef]\nenvironment = 1\n"),
              HasSubstr("ksef.environment"));
  EXPECT_THAT(ErrorOf("[ksef.environments]\nprod = 1\n"),
              HasSubstr("ksef.environments.prod"));
}

TEST_F(KsefEnvironmentsTest, EnvironmentNamesFollowTheRule) {
  EXPECT_THAT(ErrorOf("[ksef.environments.Prod]\n"),
              HasSubstr("ksef.environments.Prod"));
  EXPECT_THAT(ErrorOf("[ksef.environments.\"a/b\"]\n"),
              HasSubstr("an environment is test, demo, prod or a custom name"));
}

TEST_F(KsefEnvironmentsTest, EmptyAnchorsPathIsAnError) {
  EXPECT_THAT(ErrorOf("[ksef.environments.prod]\nmf_trust_anchors = \"\"\n"),
              HasSubstr("ksef.environments.prod.mf_trust_anchors"));
}

TEST_F(KsefEnvironmentsTest, MissingAnchorsFileIsNamedBeforeStart) {
  auto config = LoadConfig(FileSources(std::string(kMinimalFile) +
                                       "[ksef.environments.prod]\n"
                                       "mf_trust_anchors = \"nowhere.pem\"\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  // The other referenced files exist, so the anchors are the first missing.
  config->hsm.pin_file = Write("hsm-pin", "1234");
  config->hsm.softhsm2_conf = "";
  config->hsm.module = "libsofthsm2.so";
  config->listen.unix_socket = dir_ + "/sejf.sock";
  config->storage.sqlite_path = dir_ + "/sejf.db";
  absl::Status status = VerifyReferencedFiles(*config);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("ksef.environments.prod.mf_trust_anchors"));
  EXPECT_THAT(status.message(), HasSubstr(dir_ + "/nowhere.pem"));
}

TEST_F(KsefEnvironmentsTest, ReloadSaysAChangedTrustNeedsARestart) {
  ConfigSources sources = FileSources(std::string(kMinimalFile) +
                                      "[ksef.environments.prod]\n"
                                      "mf_trust_anchors = \"a.pem\"\n");
  auto running = LoadConfig(sources);
  ASSERT_TRUE(running.ok()) << running.status();
  Write("sejfd.toml", std::string(kMinimalFile) +
                          "[ksef.environments.prod]\n"
                          "mf_trust_anchors = \"b.pem\"\n");
  auto reload = ReloadPolicy(sources, *running);
  ASSERT_TRUE(reload.ok()) << reload.status();
  EXPECT_THAT(reload->restart_required, ElementsAre("ksef.environments.prod"));
}

TEST_F(KsefEnvironmentsTest, KsefScalarKeysAndEnvironmentTablesCoexist) {
  auto config = LoadConfig(FileSources(std::string(kMinimalFile) + R"(
[ksef]
signing_time_skew_seconds = 120
[ksef.environments.prod]
mf_trust_anchors = "mf/anchors.pem"
[ksef.environments.test]
token_context_identifier = false
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ksef.signing_time_skew_seconds, 120);
  EXPECT_THAT(config->origins.at("ksef.signing_time_skew_seconds"),
              HasSubstr("sejfd.toml line 11"));
  const auto& environments = config->ksef.environments;
  ASSERT_EQ(environments.size(), 2u);
  EXPECT_EQ(environments.at("prod").mf_trust_anchors, dir_ + "/mf/anchors.pem");
  EXPECT_TRUE(environments.at("prod").token_context_identifier);
  EXPECT_FALSE(environments.at("test").token_context_identifier);
  const std::string described = DescribeConfig(*config);
  EXPECT_THAT(described, HasSubstr("ksef.signing_time_skew_seconds = 120"));
  EXPECT_THAT(described,
              HasSubstr("ksef.environments.test.token_context_identifier = "
                        "false"));
}

TEST_F(KsefEnvironmentsTest, SigningTimeSkewDefaultsToOneMinute) {
  auto config = LoadConfig(FileSources(kMinimalFile));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ksef.signing_time_skew_seconds, 60);
  EXPECT_EQ(config->origins.at("ksef.signing_time_skew_seconds"),
            "built-in default");
}

TEST_F(KsefEnvironmentsTest, SigningTimeSkewOutsideAnHourNamesKeyAndOrigin) {
  for (const char* value : {"-1", "3601"}) {
    SCOPED_TRACE(value);
    auto config = LoadConfig(
        FileSources(std::string(kMinimalFile) +
                    "[ksef]\nsigning_time_skew_seconds = " + value + "\n"));
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(config.status().message(),
                HasSubstr(std::string("ksef.signing_time_skew_seconds ") +
                          value + " (from " + dir_ + "/sejfd.toml line 10)"));
    EXPECT_THAT(config.status().message(), HasSubstr("must be 0..3600"));
  }
  EXPECT_THAT(ErrorOf("[ksef]\nsigning_time_skew_seconds = \"60\"\n"),
              HasSubstr("must be an integer"));

  ConfigSources sources = FileSources(kMinimalFile);
  sources.environment = {{"SEJF_KSEF_SIGNING_TIME_SKEW_SECONDS", "7200"}};
  auto from_env = LoadConfig(sources);
  ASSERT_FALSE(from_env.ok());
  EXPECT_EQ(from_env.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(from_env.status().message(),
              HasSubstr("environment variable "
                        "SEJF_KSEF_SIGNING_TIME_SKEW_SECONDS"));
  sources.environment = {{"SEJF_KSEF_SIGNING_TIME_SKEW_SECONDS", "0"}};
  auto zero = LoadConfig(sources);
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(zero->ksef.signing_time_skew_seconds, 0);
}

TEST_F(KsefEnvironmentsTest, TokenContextIdentifierIsABoolean) {
  EXPECT_THAT(ErrorOf("[ksef.environments.prod]\n"
                      "token_context_identifier = \"no\"\n"),
              HasSubstr("ksef.environments.prod.token_context_identifier"));
  EXPECT_THAT(ErrorOf("[ksef.environments.prod]\n"
                      "token_context_identifier = 0\n"),
              HasSubstr("must be true or false"));
  EXPECT_THAT(ErrorOf("[ksef]\nsigning_time_skew = 60\n"),
              HasSubstr("signing_time_skew_seconds"));
}

TEST_F(KsefEnvironmentsTest, ReloadSaysAChangedTokenBodyNeedsARestart) {
  ConfigSources sources =
      FileSources(std::string(kMinimalFile) + "[ksef.environments.prod]\n");
  auto running = LoadConfig(sources);
  ASSERT_TRUE(running.ok()) << running.status();
  Write("sejfd.toml", std::string(kMinimalFile) +
                          "[ksef]\nsigning_time_skew_seconds = 30\n"
                          "[ksef.environments.prod]\n"
                          "token_context_identifier = false\n");
  auto reload = ReloadPolicy(sources, *running);
  ASSERT_TRUE(reload.ok()) << reload.status();
  EXPECT_THAT(
      reload->restart_required,
      ElementsAre("ksef.signing_time_skew_seconds", "ksef.environments.prod"));
}

TEST_F(KsefEnvironmentsTest, ApiUrlAndCaFileAreReadPerEnvironment) {
  auto config = LoadConfig(FileSources(std::string(kMinimalFile) + R"(
[ksef.environments.emulator]
api_url = "https://127.0.0.1:8443/v2/"
ca_file = "tls/emulator-ca.pem"
[ksef.environments.prod]
mf_trust_anchors = "mf/anchors.pem"
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& environments = config->ksef.environments;
  EXPECT_EQ(environments.at("emulator").api_url, "https://127.0.0.1:8443/v2");
  EXPECT_EQ(environments.at("emulator").ca_file, dir_ + "/tls/emulator-ca.pem");
  EXPECT_EQ(environments.at("prod").api_url, "");  // the built-in one
  EXPECT_EQ(environments.at("prod").ca_file, "");
  EXPECT_THAT(DescribeConfig(*config),
              HasSubstr("ksef.environments.emulator.api_url = "
                        "\"https://127.0.0.1:8443/v2\""));
}

TEST_F(KsefEnvironmentsTest, PlainHttpApiUrlIsRefusedNamingKeyAndLine) {
  std::string error = ErrorOf(
      "[ksef.environments.emulator]\napi_url = \"http://127.0.0.1:8080/v2\"\n");
  EXPECT_THAT(error, HasSubstr("ksef.environments.emulator.api_url "
                               "\"http://127.0.0.1:8080/v2\""));
  EXPECT_THAT(error, HasSubstr("sejfd.toml line 10"));
  EXPECT_THAT(error, HasSubstr("https:// only"));
  EXPECT_THAT(ErrorOf("[ksef.environments.prod]\napi_url = 1\n"),
              HasSubstr("must be a string"));
  EXPECT_THAT(
      ErrorOf("[ksef.environments.prod]\napi_url = \"https://h/v2?x=1\"\n"),
      HasSubstr("query"));
}

TEST_F(KsefEnvironmentsTest, EmptyOrMissingCaFileIsAnError) {
  EXPECT_THAT(ErrorOf("[ksef.environments.test]\nca_file = \"\"\n"),
              HasSubstr("ksef.environments.test.ca_file"));
  auto config = LoadConfig(FileSources(std::string(kMinimalFile) +
                                       "[ksef.environments.test]\n"
                                       "ca_file = \"nowhere.pem\"\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  config->hsm.pin_file = Write("hsm-pin", "1234");
  config->hsm.softhsm2_conf = "";
  config->hsm.module = "libsofthsm2.so";
  config->listen.unix_socket = dir_ + "/sejf.sock";
  config->storage.sqlite_path = dir_ + "/sejf.db";
  absl::Status status = VerifyReferencedFiles(*config);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("ksef.environments.test.ca_file"));
  EXPECT_THAT(status.message(), HasSubstr(dir_ + "/nowhere.pem"));
}

TEST_F(KsefEnvironmentsTest, ApiClientKeysHaveDefaultsAndRanges) {
  auto config = LoadConfig(FileSources(kMinimalFile));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ksef.api_connect_timeout_seconds, 10);
  EXPECT_EQ(config->ksef.api_timeout_seconds, 30);
  EXPECT_EQ(config->ksef.api_max_attempts, 3);
  auto set = LoadConfig(FileSources(std::string(kMinimalFile) + R"(
[ksef]
api_connect_timeout_seconds = 2
api_timeout_seconds = 5
api_max_attempts = 1
)"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->ksef.api_connect_timeout_seconds, 2);
  EXPECT_EQ(set->ksef.api_timeout_seconds, 5);
  EXPECT_EQ(set->ksef.api_max_attempts, 1);
  EXPECT_THAT(ErrorOf("[ksef]\napi_max_attempts = 0\n"),
              HasSubstr("ksef.api_max_attempts 0"));
  EXPECT_THAT(ErrorOf("[ksef]\napi_max_attempts = 11\n"),
              HasSubstr("must be 1..10"));
  EXPECT_THAT(ErrorOf("[ksef]\napi_timeout_seconds = 601\n"),
              HasSubstr("must be 1..600"));
  EXPECT_THAT(ErrorOf("[ksef]\napi_connect_timeout_seconds = 0\n"),
              HasSubstr("must be 1..300"));
  EXPECT_EQ(config->ksef.api_requests_per_second, 50);
  EXPECT_THAT(ErrorOf("[ksef]\napi_requests_per_second = 1001\n"),
              HasSubstr("must be 0..1000"));
}

TEST_F(KsefEnvironmentsTest, RefreshMarginHasADefaultAndARange) {
  auto config = LoadConfig(FileSources(kMinimalFile));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ksef.refresh_margin_seconds, 60);
  auto set = LoadConfig(FileSources(std::string(kMinimalFile) +
                                    "[ksef]\nrefresh_margin_seconds = 0\n"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->ksef.refresh_margin_seconds, 0);
  EXPECT_THAT(ErrorOf("[ksef]\nrefresh_margin_seconds = 3601\n"),
              HasSubstr("must be 0..3600"));
  EXPECT_THAT(ErrorOf("[ksef]\nrefresh_margin_seconds = -1\n"),
              HasSubstr("ksef.refresh_margin_seconds -1"));
}

// Issue 14: the token status watch's interval.
TEST_F(KsefEnvironmentsTest, TokenStatusIntervalIsBounded) {
  auto config = LoadConfig(FileSources(kMinimalFile));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ksef.token_status_interval_seconds, 21600);
  auto set =
      LoadConfig(FileSources(std::string(kMinimalFile) +
                             "[ksef]\ntoken_status_interval_seconds = 60\n"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->ksef.token_status_interval_seconds, 60);
  EXPECT_THAT(ErrorOf("[ksef]\ntoken_status_interval_seconds = 0\n"),
              HasSubstr("must be 1..604800"));
}

TEST_F(KsefEnvironmentsTest, ReloadSaysAChangedApiUrlNeedsARestart) {
  ConfigSources sources = FileSources(std::string(kMinimalFile) +
                                      "[ksef.environments.emulator]\n"
                                      "api_url = \"https://127.0.0.1:1/v2\"\n");
  auto running = LoadConfig(sources);
  ASSERT_TRUE(running.ok()) << running.status();
  Write("sejfd.toml", std::string(kMinimalFile) +
                          "[ksef.environments.emulator]\n"
                          "api_url = \"https://127.0.0.1:2/v2\"\n");
  auto reload = ReloadPolicy(sources, *running);
  ASSERT_TRUE(reload.ok()) << reload.status();
  EXPECT_THAT(reload->restart_required,
              ElementsAre("ksef.environments.emulator"));
}

}  // namespace
}  // namespace sejf::server
