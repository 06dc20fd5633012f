// BuildKsefApiDirectory: built-in environments, overrides and custom ones
// from [ksef.environments.NAME], [ksef]'s client settings, CA files read at
// start.
#include "server/ksef_api_config.h"

#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::server {
namespace {

using ::testing::HasSubstr;

broker::KsefHttpApi* Api(broker::KsefHttpApiDirectory& directory,
                         absl::string_view environment) {
  auto api = directory.For(environment);
  EXPECT_TRUE(api.ok()) << api.status();
  return api.ok() ? static_cast<broker::KsefHttpApi*>(*api) : nullptr;
}

TEST(KsefApiConfigTest, BuiltInEnvironmentsHaveTheOfficialUrls) {
  auto directory = BuildKsefApiDirectory(KsefConfig{}, nullptr);
  ASSERT_TRUE(directory.ok()) << directory.status();
  EXPECT_EQ(Api(**directory, "test")->settings().base_url,
            "https://api-test.ksef.mf.gov.pl/v2");
  EXPECT_EQ(Api(**directory, "demo")->settings().base_url,
            "https://api-demo.ksef.mf.gov.pl/v2");
  const broker::KsefHttpApiSettings& prod =
      Api(**directory, "prod")->settings();
  EXPECT_EQ(prod.base_url, "https://api.ksef.mf.gov.pl/v2");
  EXPECT_EQ(prod.ca_file, "");
  EXPECT_EQ(prod.timeout, absl::Seconds(30));
  EXPECT_EQ(prod.connect_timeout, absl::Seconds(10));
  EXPECT_EQ(prod.max_attempts, 3);
}

TEST(KsefApiConfigTest, ConfiguredEnvironmentsOverrideAndAdd) {
  sejf::testing::TempDir dir;
  // Any certificate will do: the file must hold a PEM CERTIFICATE block.
  std::string ca = dir.Path("ca.pem");
  ASSERT_EQ(
      sejf::testing::RunCommand(
          {"/usr/bin/env", "openssl", "req", "-x509", "-newkey", "ec",
           "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
           dir.Path("ca.key"), "-out", ca, "-days", "1", "-subj", "/CN=ca"})
          .exit_code,
      0);
  KsefConfig config;
  config.api_timeout_seconds = 5;
  config.api_connect_timeout_seconds = 2;
  config.api_max_attempts = 1;
  config.environments["test"].ca_file = ca;
  config.environments["emulator"].api_url = "https://127.0.0.1:8443/v2";
  config.environments["emulator"].ca_file = ca;
  config.environments["acme"].mf_trust_anchors = "/etc/sejf/mf.pem";
  auto directory = BuildKsefApiDirectory(config, nullptr);
  ASSERT_TRUE(directory.ok()) << directory.status();

  const broker::KsefHttpApiSettings& test =
      Api(**directory, "test")->settings();
  EXPECT_EQ(test.base_url, "https://api-test.ksef.mf.gov.pl/v2");
  EXPECT_EQ(test.ca_file, ca);
  EXPECT_EQ(test.timeout, absl::Seconds(5));
  EXPECT_EQ(test.connect_timeout, absl::Seconds(2));
  EXPECT_EQ(test.max_attempts, 1);
  EXPECT_EQ(Api(**directory, "emulator")->settings().base_url,
            "https://127.0.0.1:8443/v2");
  EXPECT_EQ(Api(**directory, "emulator")->settings().environment, "emulator");

  auto acme = (*directory)->For("acme");
  EXPECT_EQ(acme.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(acme.status().message(),
              HasSubstr("set api_url in [ksef.environments.acme]"));
}

TEST(KsefApiConfigTest, UnreadableCaFileStopsTheStartNamingIt) {
  sejf::testing::TempDir dir;
  KsefConfig config;
  config.environments["emulator"].api_url = "https://127.0.0.1:8443/v2";
  config.environments["emulator"].ca_file =
      dir.Write("not-a-ca.pem", "hello\n");
  auto directory = BuildKsefApiDirectory(config, nullptr);
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(directory.status().message(),
              HasSubstr("KSeF environment emulator: ca_file \"" +
                        dir.Path("not-a-ca.pem") + "\" holds no PEM"));
}

}  // namespace
}  // namespace sejf::server
