// [storage] backend = "postgres" and its postgres_* keys (issue 16).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config_test_util.h"
#include "server/config/load_config.h"

namespace sejf::server {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPostgresFile[] = R"(
[listen]
unix_socket = "/run/sejf/sejf.sock"
[hsm]
token_label = "sejf"
pin_file = "/etc/sejf/hsm-pin"
[storage]
backend = "postgres"
)";

using PostgresConfigTest = testing::ConfigTest;

std::string ErrorOf(const ConfigSources& sources) {
  auto config = LoadConfig(sources);
  EXPECT_FALSE(config.ok()) << "unexpectedly loaded";
  return config.ok() ? "" : std::string(config.status().message());
}

TEST_F(PostgresConfigTest, PostgresBackendReadsItsKeysAndNeedsNoSqlitePath) {
  auto config = LoadConfig(FileSources(std::string(kPostgresFile) + R"(
postgres_url = "postgresql://sejf@db.example.com/sejf?application_name=eu-1"
postgres_password_file = "secrets/pg-password"
postgres_ca_file = "/etc/sejf/pg-ca.pem"
postgres_max_connections = 20
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->storage.backend, StorageBackend::kPostgres);
  EXPECT_EQ(config->storage.postgres_url,
            "postgresql://sejf@db.example.com/sejf?application_name=eu-1");
  // A path: resolved against the file's directory.
  EXPECT_EQ(config->storage.postgres_password_file,
            dir_ + "/secrets/pg-password");
  EXPECT_EQ(config->storage.postgres_ca_file, "/etc/sejf/pg-ca.pem");
  EXPECT_EQ(config->storage.postgres_max_connections, 20);
  EXPECT_THAT(DescribeConfig(*config),
              HasSubstr("storage.backend = \"postgres\""));
}

TEST_F(PostgresConfigTest, PostgresBackendWithoutUrlIsAnError) {
  EXPECT_THAT(ErrorOf(FileSources(kPostgresFile)),
              AllOf(HasSubstr("storage.postgres_url is not set"),
                    HasSubstr("SEJF_STORAGE_POSTGRES_URL")));
}

TEST_F(PostgresConfigTest, UrlWithPasswordIsRefusedAndNeverRepeated) {
  for (const char* url :
       {"postgresql://sejf:Hunter2pw@db/sejf",
        "host=db user=sejf password=Hunter2pw", "host=db password"}) {
    ConfigSources sources = FileSources(kPostgresFile);
    sources.environment["SEJF_STORAGE_POSTGRES_URL"] = url;
    std::string error = ErrorOf(sources);
    EXPECT_THAT(error, AllOf(HasSubstr("storage.postgres_url"),
                             HasSubstr("SEJF_STORAGE_POSTGRES_URL"),
                             Not(HasSubstr("Hunter2pw"))))
        << url;
  }
  ConfigSources sources = FileSources(kPostgresFile);
  sources.environment["SEJF_STORAGE_POSTGRES_URL"] =
      "postgresql://sejf:Hunter2pw@db/sejf";
  EXPECT_THAT(ErrorOf(sources), HasSubstr("postgres_password_file"));
}

TEST_F(PostgresConfigTest, CaFileRefusesAWeakerSslmodeInTheUrl) {
  auto loaded = LoadConfig(FileSources(std::string(kPostgresFile) + R"(
postgres_url = "postgresql://sejf@db/sejf?sslmode=require"
postgres_ca_file = "/etc/sejf/pg-ca.pem"
)"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(),
              AllOf(HasSubstr("sslmode=require"),
                    HasSubstr("storage.postgres_ca_file")));
  // Without the CA file the URL's sslmode stands.
  EXPECT_TRUE(LoadConfig(FileSources(std::string(kPostgresFile) + R"(
postgres_url = "postgresql://sejf@db/sejf?sslmode=require"
)"))
                  .ok());
}

TEST_F(PostgresConfigTest, MaxConnectionsIsBounded) {
  for (const char* bad : {"0", "1001"}) {
    ConfigSources sources = FileSources(kPostgresFile);
    sources.environment["SEJF_STORAGE_POSTGRES_URL"] = "postgresql://db/sejf";
    sources.environment["SEJF_STORAGE_POSTGRES_MAX_CONNECTIONS"] = bad;
    EXPECT_THAT(ErrorOf(sources),
                HasSubstr("storage.postgres_max_connections"));
  }
}

TEST_F(PostgresConfigTest, LockTimeoutIsBounded) {
  for (const char* bad : {"99", "600001", "-1"}) {
    ConfigSources sources = FileSources(kPostgresFile);
    sources.environment["SEJF_STORAGE_POSTGRES_URL"] = "postgresql://db/sejf";
    sources.environment["SEJF_STORAGE_LOCK_TIMEOUT_MS"] = bad;
    EXPECT_THAT(ErrorOf(sources), HasSubstr("storage.lock_timeout_ms"));
  }
}

TEST_F(PostgresConfigTest, VerifyReferencedFilesNamesAMissingPostgresFile) {
  const std::string pin = Write("hsm-pin", "1234");
  auto config = LoadConfig(FileSources(R"(
[listen]
unix_socket = "run/sejf.sock"
[hsm]
module = "libsofthsm2.so"
token_label = "sejf"
pin_file = "hsm-pin"
[storage]
backend = "postgres"
postgres_url = "postgresql://sejf@db/sejf"
postgres_password_file = "pg-password"
postgres_ca_file = "pg-ca.pem"
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  Write("run/.keep", "");
  EXPECT_THAT(VerifyReferencedFiles(*config).message(),
              AllOf(HasSubstr("storage.postgres_password_file: file"),
                    HasSubstr(dir_ + "/pg-password")));
  Write("pg-password", "secret\n");
  EXPECT_THAT(VerifyReferencedFiles(*config).message(),
              HasSubstr("storage.postgres_ca_file: file"));
  Write("pg-ca.pem", "x");
  EXPECT_TRUE(VerifyReferencedFiles(*config).ok())
      << VerifyReferencedFiles(*config);
}

}  // namespace
}  // namespace sejf::server
