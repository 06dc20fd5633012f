#include "server/config/load_config.h"

#include <map>
#include <string>

#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config_test_util.h"

namespace sejf::server {
namespace {

using ::testing::AllOf;
using testing::ConfigTest;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kMinimalFile;

// The message of the error LoadConfig gives for `sources`.
std::string ErrorOf(const ConfigSources& sources) {
  auto config = LoadConfig(sources);
  EXPECT_FALSE(config.ok()) << "unexpectedly loaded";
  return config.ok() ? "" : std::string(config.status().message());
}

// A production file with TCP on and TLS set, plus `extra` at the end.
std::string TcpFile(const std::string& tcp) {
  return R"(
[listen]
tcp = ")" +
         tcp + R"("
[tls]
ca = "/etc/sejf/ca.pem"
cert = "/etc/sejf/server.pem"
key = "/etc/sejf/server.key"
[hsm]
token_label = "sejf"
pin_file = "/etc/sejf/hsm-pin"
[storage]
sqlite_path = "/var/lib/sejf/sejf.db"
)";
}

using LoadConfigTest = ConfigTest;

TEST_F(LoadConfigTest, BuiltInDefaultsFillWhatTheFileLeavesOut) {
  ConfigSources sources = FileSources(kMinimalFile);
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->dev);
  EXPECT_EQ(config->config_file, sources.config_file);
  EXPECT_EQ(config->data_dir, "");
  EXPECT_EQ(config->listen.tcp, "");
  EXPECT_EQ(config->listen.unix_socket, "/run/sejf/sejf.sock");
  EXPECT_EQ(config->hsm.module, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(config->hsm.softhsm2_conf, "");
  EXPECT_EQ(config->storage.backend, StorageBackend::kSqlite);
  EXPECT_EQ(config->log.format, LogFormat::kText);
  EXPECT_EQ(config->server.shutdown_grace_seconds, 10);
  EXPECT_EQ(config->server.max_threads, 64);
  EXPECT_EQ(config->origins.at("server.max_threads"), "built-in default");
  EXPECT_EQ(config->server.max_request_bytes, 1 << 20);
  EXPECT_EQ(config->limits.requests_per_second, 0);  // no rate limit
  EXPECT_EQ(config->limits.burst, 0);
  EXPECT_EQ(config->origins.at("hsm.token_label"),
            sources.config_file + " line 5");
  // No [[policy]]: nobody may do anything.
  ASSERT_NE(config->policy, nullptr);
  EXPECT_THAT(config->policy->rules(), IsEmpty());
  EXPECT_FALSE(
      config->policy->Authorize({"unix:1000", Operation::kKeysRead, {}, {}})
          .allowed);
}

TEST_F(LoadConfigTest, NeitherConfigNorDevIsAnError) {
  ConfigSources sources;
  sources.data_dir = dir_;
  EXPECT_THAT(ErrorOf(sources), HasSubstr("--config FILE"));
}

TEST_F(LoadConfigTest, MissingFileIsNotFoundAndNamesIt) {
  ConfigSources sources;
  sources.config_file = dir_ + "/nope.toml";
  auto config = LoadConfig(sources);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr(dir_ + "/nope.toml"));
}

TEST_F(LoadConfigTest, DevDefaultsLiveUnderTheDataDirectory) {
  ConfigSources sources;
  sources.dev = true;
  sources.data_dir = dir_ + "/data/../data";
  sources.daemon_uid = 4242;
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string d = dir_ + "/data";
  EXPECT_TRUE(config->dev);
  EXPECT_EQ(config->data_dir, d);
  EXPECT_EQ(config->listen.tcp, "127.0.0.1:7443");
  EXPECT_EQ(config->listen.unix_socket, d + "/sejf.sock");
  EXPECT_EQ(config->tls.ca, d + "/tls/ca.pem");
  EXPECT_EQ(config->tls.cert, d + "/tls/server.pem");
  EXPECT_EQ(config->tls.key, d + "/tls/server.key");
  EXPECT_EQ(config->hsm.module, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(config->hsm.token_label, "sejf");
  EXPECT_EQ(config->hsm.pin_file, d + "/hsm-pin");
  EXPECT_EQ(config->hsm.softhsm2_conf, d + "/softhsm2.conf");
  EXPECT_EQ(config->storage.sqlite_path, d + "/sejf.db");
  EXPECT_EQ(config->origins.at("tls.ca"), "--dev default");
  EXPECT_EQ(config->origins.at("data_dir"), "--data-dir");
  // The dev-admin rule, for the daemon's own uid.
  Decision d1 = config->policy->Authorize(
      {"unix:4242", Operation::kTokensManage, "nip:5265877635", "t"});
  EXPECT_TRUE(d1.allowed);
  EXPECT_EQ(d1.rule, "dev-admin");
  EXPECT_TRUE(
      config->policy->Authorize({"admin", Operation::kAuditRead, {}, {}})
          .allowed);
  EXPECT_FALSE(
      config->policy->Authorize({"unix:1000", Operation::kKeysRead, {}, {}})
          .allowed);
}

// The finding of the security review: --dev accepted --listen 0.0.0.0:7443,
// putting an all-powerful admin certificate and an on-disk CA on the network.
TEST_F(LoadConfigTest, DevRefusesNonLoopbackListenerUnlessForced) {
  for (const char* address : {"0.0.0.0:7443", "[::]:7443", "192.0.2.1:7443",
                              "sejf.example.com:7443"}) {
    ConfigSources sources;
    sources.dev = true;
    sources.data_dir = dir_ + "/data";
    sources.listen = address;
    auto config = LoadConfig(sources);
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument)
        << address;
    EXPECT_THAT(config.status().message(), HasSubstr("not a loopback"));
    EXPECT_THAT(config.status().message(), HasSubstr("--listen"));
    EXPECT_THAT(config.status().message(),
                HasSubstr("--dev-allow-remote-listen"));
    sources.dev_allow_remote_listen = true;
    EXPECT_TRUE(LoadConfig(sources).ok()) << address;
  }
  for (const char* address :
       {"127.0.0.1:0", "127.1.2.3:7443", "[::1]:7443", "localhost:7443"}) {
    ConfigSources sources;
    sources.dev = true;
    sources.data_dir = dir_ + "/data";
    sources.listen = address;
    EXPECT_TRUE(LoadConfig(sources).ok()) << address;
  }
}

TEST_F(LoadConfigTest, ProductionMayListenAnywhere) {
  ConfigSources sources = FileSources(TcpFile("0.0.0.0:7443"));
  EXPECT_TRUE(LoadConfig(sources).ok());
}

TEST_F(LoadConfigTest, CrlWithoutTcpListenerIsAnError) {
  ConfigSources sources = FileSources(kMinimalFile);
  sources.environment = {{"SEJF_TLS_CRL", "/crl.pem"}};
  auto config = LoadConfig(sources);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("tls.crl"));
}

TEST_F(LoadConfigTest, DevRelativeDataDirIsMadeAbsolute) {
  ConfigSources sources;
  sources.dev = true;
  sources.data_dir = "relative/dir";
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, AbsolutePath("relative/dir"));
  EXPECT_EQ(config->hsm.pin_file, AbsolutePath("relative/dir/hsm-pin"));
}

TEST_F(LoadConfigTest, DevWithoutDataDirectoryIsAnError) {
  ConfigSources sources;
  sources.dev = true;
  EXPECT_THAT(ErrorOf(sources),
              AllOf(HasSubstr("--dev needs a data directory"),
                    HasSubstr("--data-dir"), HasSubstr("SEJF_DATA_DIR")));
}

TEST_F(LoadConfigTest, DevDataDirFromFileResolvesAgainstTheFile) {
  ConfigSources sources = FileSources("data_dir = \"state\"\n", "etc/s.toml");
  sources.dev = true;
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, dir_ + "/etc/state");
  EXPECT_EQ(config->storage.sqlite_path, dir_ + "/etc/state/sejf.db");
}

TEST_F(LoadConfigTest, DevDataDirFromEnvironmentBeatsTheFile) {
  ConfigSources sources = FileSources("data_dir = \"/from/file\"\n");
  sources.dev = true;
  sources.environment["SEJF_DATA_DIR"] = "/from/env";
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, "/from/env");
  EXPECT_EQ(config->hsm.pin_file, "/from/env/hsm-pin");
  sources.data_dir = "/from/flag";
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->hsm.pin_file, "/from/flag/hsm-pin");
}

TEST_F(LoadConfigTest, FileOverridesDevDefaults) {
  ConfigSources sources = FileSources(R"(
[hsm]
token_label = "acme"
[listen]
tcp = ""
)");
  sources.dev = true;
  sources.data_dir = dir_;
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->hsm.token_label, "acme");
  EXPECT_EQ(config->listen.tcp, "");
  EXPECT_EQ(config->hsm.pin_file, dir_ + "/hsm-pin");  // still the dev default
}

TEST_F(LoadConfigTest, EnvironmentOverridesFileAndFlagsOverrideEnvironment) {
  ConfigSources sources = FileSources(TcpFile("127.0.0.1:1000") + R"(
[log]
format = "text"
)");
  sources.environment = {{"SEJF_LISTEN_TCP", "127.0.0.1:2000"},
                         {"SEJF_LOG_FORMAT", "json"},
                         {"SEJF_SERVER_MAX_THREADS", "8"}};
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen.tcp, "127.0.0.1:2000");
  EXPECT_EQ(config->log.format, LogFormat::kJson);
  EXPECT_EQ(config->server.max_threads, 8);
  EXPECT_EQ(config->origins.at("listen.tcp"),
            "environment variable SEJF_LISTEN_TCP");

  sources.listen = "127.0.0.1:3000";
  sources.log_format = "text";
  config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen.tcp, "127.0.0.1:3000");
  EXPECT_EQ(config->log.format, LogFormat::kText);
  EXPECT_EQ(config->origins.at("listen.tcp"), "--listen");
  EXPECT_EQ(config->server.max_threads, 8);
}

TEST_F(LoadConfigTest, EveryScalarKeyHasItsEnvironmentVariable) {
  ConfigSources sources = FileSources(kMinimalFile);
  sources.environment = {
      {"SEJF_DATA_DIR", "/d"},
      {"SEJF_LISTEN_TCP", "[::1]:0"},
      {"SEJF_LISTEN_UNIX_SOCKET", "/s.sock"},
      {"SEJF_TLS_CA", "/ca.pem"},
      {"SEJF_TLS_CERT", "/cert.pem"},
      {"SEJF_TLS_KEY", "/key.pem"},
      {"SEJF_TLS_CRL", "/crl.pem"},
      {"SEJF_HSM_MODULE", "libother-pkcs11.so"},
      {"SEJF_HSM_TOKEN_LABEL", "label"},
      {"SEJF_HSM_PIN_FILE", "/pin"},
      {"SEJF_HSM_SOFTHSM2_CONF", "/softhsm2.conf"},
      {"SEJF_HSM_CALL_TIMEOUT_SECONDS", "7"},
      {"SEJF_STORAGE_BACKEND", "memory"},
      {"SEJF_STORAGE_SQLITE_PATH", "/db"},
      {"SEJF_STORAGE_POSTGRES_URL", "postgresql://sejf@db/sejf"},
      {"SEJF_STORAGE_POSTGRES_PASSWORD_FILE", "/pg-password"},
      {"SEJF_STORAGE_POSTGRES_CA_FILE", "/pg-ca.pem"},
      {"SEJF_STORAGE_POSTGRES_MAX_CONNECTIONS", "3"},
      {"SEJF_STORAGE_LOCK_TIMEOUT_MS", "750"},
      {"SEJF_LOG_FORMAT", "json"},
      {"SEJF_SERVER_SHUTDOWN_GRACE_SECONDS", "3"},
      {"SEJF_SERVER_MAX_THREADS", "5"},
      {"SEJF_SERVER_MAX_REQUEST_BYTES", "131072"},
      {"SEJF_LIMITS_REQUESTS_PER_SECOND", "7"},
      {"SEJF_LIMITS_BURST", "9"},
      {"SEJF_AUDIT_CHECKPOINT_EXPORT_FILE", "/checkpoints.jsonl"},
      {"SEJF_DROPOFF_LISTEN", "127.0.0.1:7444"},  // issue 15
      {"SEJF_DROPOFF_PUBLIC_URL", "https://sejf.test:7444"},
      {"SEJF_KSEF_SIGNING_TIME_SKEW_SECONDS", "15"},
      {"SEJF_KSEF_API_CONNECT_TIMEOUT_SECONDS", "4"},
      {"SEJF_KSEF_API_TIMEOUT_SECONDS", "12"},
      {"SEJF_KSEF_API_MAX_ATTEMPTS", "2"},
      {"SEJF_KSEF_REFRESH_MARGIN_SECONDS", "90"},
      {"SEJF_KSEF_API_REQUESTS_PER_SECOND", "20"},
      {"SEJF_KSEF_TOKEN_STATUS_INTERVAL_SECONDS", "3600"},  // issue 14
      {"SEJF_KSEF_ENROLLMENT_WAIT_SECONDS", "7"},
      {"SEJF_KSEF_ENROLLMENT_POLL_SECONDS", "2"},
      {"SEJF_KSEF_CERTIFICATE_STATUS_SECONDS", "600"},
      {"SEJF_METRICS_LISTEN", "127.0.0.1:0"},  // issue 16
  };
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, "/d");
  EXPECT_EQ(config->listen.tcp, "[::1]:0");
  EXPECT_EQ(config->listen.unix_socket, "/s.sock");
  EXPECT_EQ(config->tls.ca, "/ca.pem");
  EXPECT_EQ(config->tls.cert, "/cert.pem");
  EXPECT_EQ(config->tls.key, "/key.pem");
  EXPECT_EQ(config->tls.crl, "/crl.pem");
  EXPECT_EQ(config->hsm.module, "libother-pkcs11.so");  // a name: unresolved
  EXPECT_EQ(config->hsm.token_label, "label");
  EXPECT_EQ(config->hsm.pin_file, "/pin");
  EXPECT_EQ(config->hsm.softhsm2_conf, "/softhsm2.conf");
  EXPECT_EQ(config->hsm.call_timeout_seconds, 7);
  EXPECT_EQ(config->storage.backend, StorageBackend::kMemory);
  EXPECT_EQ(config->storage.sqlite_path, "/db");
  EXPECT_EQ(config->storage.postgres_url, "postgresql://sejf@db/sejf");
  EXPECT_EQ(config->storage.postgres_password_file, "/pg-password");
  EXPECT_EQ(config->storage.postgres_ca_file, "/pg-ca.pem");
  EXPECT_EQ(config->storage.postgres_max_connections, 3);
  EXPECT_EQ(config->storage.lock_timeout_ms, 750);
  EXPECT_EQ(config->log.format, LogFormat::kJson);
  EXPECT_EQ(config->server.shutdown_grace_seconds, 3);
  EXPECT_EQ(config->server.max_threads, 5);
  EXPECT_EQ(config->server.max_request_bytes, 131072);
  EXPECT_EQ(config->limits.requests_per_second, 7);
  EXPECT_EQ(config->limits.burst, 9);
  EXPECT_EQ(config->audit.checkpoint_export_file, "/checkpoints.jsonl");
  EXPECT_EQ(config->dropoff.listen, "127.0.0.1:7444");
  EXPECT_EQ(config->dropoff.public_url, "https://sejf.test:7444");
  EXPECT_EQ(config->ksef.signing_time_skew_seconds, 15);
  EXPECT_EQ(config->ksef.api_connect_timeout_seconds, 4);
  EXPECT_EQ(config->ksef.api_timeout_seconds, 12);
  EXPECT_EQ(config->ksef.api_max_attempts, 2);
  EXPECT_EQ(config->ksef.refresh_margin_seconds, 90);
  EXPECT_EQ(config->ksef.api_requests_per_second, 20);
  EXPECT_EQ(config->ksef.token_status_interval_seconds, 3600);
  EXPECT_EQ(config->ksef.enrollment_wait_seconds, 7);
  EXPECT_EQ(config->ksef.enrollment_poll_seconds, 2);
  EXPECT_EQ(config->ksef.certificate_status_seconds, 600);
  EXPECT_EQ(config->metrics.listen, "127.0.0.1:0");
  for (const auto& [key, origin] : config->origins) {
    EXPECT_THAT(origin, HasSubstr("environment variable SEJF_")) << key;
  }
  EXPECT_THAT(config->warnings, IsEmpty());
}

TEST_F(LoadConfigTest, EmptyEnvironmentValueDisablesTcp) {
  ConfigSources sources = FileSources(TcpFile("127.0.0.1:7443"));
  sources.environment["SEJF_LISTEN_TCP"] = "";
  sources.environment["SEJF_LISTEN_UNIX_SOCKET"] = "/run/s.sock";
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen.tcp, "");
}

TEST_F(LoadConfigTest, ClientVariablesAreIgnoredWithoutWarning) {
  ConfigSources sources = FileSources(kMinimalFile);
  sources.environment = {{"SEJF_ADDR", "not an address"},
                         {"SEJF_CACERT", "/x"},
                         {"SEJF_CLIENT_CERT", "/y"},
                         {"SEJF_CLIENT_KEY", "/z"}};
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->warnings, IsEmpty());
}

TEST_F(LoadConfigTest, MisspeltVariableInOurSectionsIsAWarning) {
  ConfigSources sources = FileSources(kMinimalFile);
  sources.environment = {{"SEJF_LISTEN_TPC", "127.0.0.1:1"},
                         {"SEJF_POLICY", "[]"}};
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen.tcp, "");
  EXPECT_THAT(config->warnings,
              ElementsAre(HasSubstr("SEJF_LISTEN_TPC names no configuration"),
                          HasSubstr("SEJF_POLICY is ignored: policy rules "
                                    "come only from the configuration file")));
}

TEST_F(LoadConfigTest, RelativePathsResolveAgainstTheFileDirectory) {
  ConfigSources sources = FileSources(R"(
[listen]
unix_socket = "run/sejf.sock"
[hsm]
module = "../lib/libpkcs11.so"
token_label = "sejf"
pin_file = "secrets/pin"
[storage]
sqlite_path = "./db/sejf.db"
)",
                                      "etc/sejf.toml");
  sources.environment["SEJF_TLS_CA"] = "env-relative.pem";
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen.unix_socket, dir_ + "/etc/run/sejf.sock");
  EXPECT_EQ(config->hsm.module, dir_ + "/lib/libpkcs11.so");
  EXPECT_EQ(config->hsm.pin_file, dir_ + "/etc/secrets/pin");
  EXPECT_EQ(config->storage.sqlite_path, dir_ + "/etc/db/sejf.db");
  EXPECT_EQ(config->tls.ca, AbsolutePath("env-relative.pem"));
}

TEST_F(LoadConfigTest, UnknownKeyNamesTheKeyAndTheFile) {
  ConfigSources sources = FileSources(R"([listen]
tpc = "127.0.0.1:7443"
)");
  std::string error = ErrorOf(sources);
  EXPECT_THAT(error, HasSubstr("unknown key \"listen.tpc\" in " +
                               sources.config_file + " line 2"));
  EXPECT_THAT(error, HasSubstr("tcp, unix_socket"));
}

TEST_F(LoadConfigTest, UnknownSectionAndTopLevelKeyAreErrors) {
  EXPECT_THAT(ErrorOf(FileSources("[lsiten]\ntcp = \"x:1\"\n")),
              HasSubstr("unknown key \"lsiten\""));
  EXPECT_THAT(ErrorOf(FileSources("datadir = \"/x\"\n")),
              HasSubstr("unknown key \"datadir\""));
  EXPECT_THAT(ErrorOf(FileSources("[listen.extra]\na = 1\n")),
              HasSubstr("unknown key \"listen.extra\""));
}

TEST_F(LoadConfigTest, WrongTypeNamesKeyAndExpectedType) {
  ConfigSources sources = FileSources("[server]\nmax_threads = \"64\"\n");
  EXPECT_THAT(ErrorOf(sources),
              HasSubstr("key \"server.max_threads\" in " + sources.config_file +
                        " line 2 must be an integer, not a string"));
  EXPECT_THAT(ErrorOf(FileSources("[listen]\ntcp = 7443\n")),
              HasSubstr("key \"listen.tcp\" in"));
  EXPECT_THAT(ErrorOf(FileSources("[listen]\ntcp = 7443\n")),
              HasSubstr("must be a string, not an integer"));
  EXPECT_THAT(ErrorOf(FileSources("[server]\nmax_threads = 6.4\n")),
              HasSubstr("not a floating-point number"));
  EXPECT_THAT(ErrorOf(FileSources("listen = \"127.0.0.1:1\"\n")),
              HasSubstr("key \"listen\" in"));
  EXPECT_THAT(ErrorOf(FileSources("policy = \"all\"\n")),
              HasSubstr("must be an array of tables"));
}

TEST_F(LoadConfigTest, TomlSyntaxErrorGivesLineAndColumn) {
  ConfigSources sources = FileSources("[listen]\n\ntcp = \"127.0.0.1:1\n");
  std::string error = ErrorOf(sources);
  EXPECT_THAT(error, HasSubstr(sources.config_file + ":3:"));
  EXPECT_THAT(error, HasSubstr("invalid TOML"));
}

TEST_F(LoadConfigTest, ListenAddressMustBeHostPort) {
  ConfigSources sources = FileSources(TcpFile("localhost"));
  EXPECT_THAT(ErrorOf(sources),
              AllOf(HasSubstr("listen.tcp \"localhost\" (from " +
                              sources.config_file + " line 3)"),
                    HasSubstr("HOST:PORT")));
  EXPECT_THAT(ErrorOf(FileSources(TcpFile("127.0.0.1:70000"))),
              AllOf(HasSubstr("listen.tcp"),
                    HasSubstr("port 70000 is not a number in 0-65535")));
  auto port_zero = LoadConfig(FileSources(TcpFile("127.0.0.1:0")));
  EXPECT_TRUE(port_zero.ok()) << port_zero.status();
}

TEST_F(LoadConfigTest, LogFormatMustBeTextOrJson) {
  EXPECT_THAT(ErrorOf(FileSources(std::string(kMinimalFile) +
                                  "[log]\nformat = \"xml\"\n")),
              AllOf(HasSubstr("log.format \"xml\""),
                    HasSubstr("must be \"text\" or \"json\"")));
}

TEST_F(LoadConfigTest, NumbersMustBePositive) {
  EXPECT_THAT(ErrorOf(FileSources(std::string(kMinimalFile) +
                                  "[server]\nmax_threads = 0\n")),
              HasSubstr("server.max_threads 0 (from"));
  EXPECT_THAT(ErrorOf(FileSources(std::string(kMinimalFile) +
                                  "[server]\nshutdown_grace_seconds = -1\n")),
              AllOf(HasSubstr("server.shutdown_grace_seconds -1"),
                    HasSubstr("must be positive")));
  EXPECT_THAT(ErrorOf(FileSources(std::string(kMinimalFile) +
                                  "[server]\nmax_threads = 4294967296\n")),
              HasSubstr("must be at most 2147483647"));
}

TEST_F(LoadConfigTest, HsmCallTimeoutIsBounded) {
  for (const char* bad : {"0", "3601"}) {
    ConfigSources sources = FileSources(kMinimalFile);
    sources.environment["SEJF_HSM_CALL_TIMEOUT_SECONDS"] = bad;
    EXPECT_THAT(ErrorOf(sources), AllOf(HasSubstr("hsm.call_timeout_seconds"),
                                        HasSubstr("must be 1..3600")));
  }
  ConfigSources sources = FileSources(kMinimalFile);
  sources.environment["SEJF_HSM_CALL_TIMEOUT_SECONDS"] = "2";
  absl::StatusOr<Config> config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->hsm.call_timeout_seconds, 2);
}

TEST_F(LoadConfigTest, ResourceLimitsAreReadAndRangeChecked) {
  auto config = LoadConfig(
      FileSources(std::string(kMinimalFile) +
                  "[server]\nmax_request_bytes = 262144\n"
                  "[limits]\nrequests_per_second = 20\nburst = 50\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.max_request_bytes, 262144);
  EXPECT_EQ(config->limits.requests_per_second, 20);
  EXPECT_EQ(config->limits.burst, 50);

  EXPECT_THAT(ErrorOf(FileSources(std::string(kMinimalFile) +
                                  "[server]\nmax_request_bytes = 100\n")),
              AllOf(HasSubstr("server.max_request_bytes 100"),
                    HasSubstr("must be 65536..67108864")));
  EXPECT_THAT(ErrorOf(FileSources(std::string(kMinimalFile) +
                                  "[limits]\nrequests_per_second = -1\n")),
              HasSubstr("limits.requests_per_second -1"));
  EXPECT_THAT(ErrorOf(FileSources(std::string(kMinimalFile) +
                                  "[limits]\nburst = 2000000\n")),
              HasSubstr("must be 0..1000000"));
}

TEST_F(LoadConfigTest, UnknownStorageBackendIsAnError) {
  ConfigSources sources = FileSources(kMinimalFile);
  sources.environment["SEJF_STORAGE_BACKEND"] = "mysql";
  EXPECT_THAT(ErrorOf(sources),
              AllOf(HasSubstr("storage.backend \"mysql\" (from environment "
                              "variable SEJF_STORAGE_BACKEND)"),
                    HasSubstr("\"sqlite\""), HasSubstr("\"postgres\"")));
}

TEST_F(LoadConfigTest, MemoryBackendNeedsNoDatabasePath) {
  auto config = LoadConfig(FileSources(R"(
[listen]
unix_socket = "/s"
[hsm]
token_label = "t"
pin_file = "/p"
[storage]
backend = "memory"
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->storage.backend, StorageBackend::kMemory);
}

TEST_F(LoadConfigTest, BadEnvironmentValueNamesTheVariable) {
  ConfigSources sources = FileSources(kMinimalFile);
  sources.environment["SEJF_SERVER_MAX_THREADS"] = "many";
  EXPECT_THAT(ErrorOf(sources), AllOf(HasSubstr("SEJF_SERVER_MAX_THREADS"),
                                      HasSubstr("must be an integer")));
  sources.environment = {{"SEJF_LISTEN_TCP", "7443"}};
  EXPECT_THAT(ErrorOf(sources),
              HasSubstr("listen.tcp \"7443\" (from environment variable "
                        "SEJF_LISTEN_TCP)"));
}

TEST_F(LoadConfigTest, BadFlagValueNamesTheFlag) {
  ConfigSources sources = FileSources(kMinimalFile);
  sources.log_format = "yaml";
  EXPECT_THAT(ErrorOf(sources),
              HasSubstr("log.format \"yaml\" (from --log-format)"));
}

TEST_F(LoadConfigTest, TcpWithoutTlsIsAnErrorNamingTheMissingKey) {
  ConfigSources sources = FileSources(kMinimalFile);
  sources.listen = "0.0.0.0:7443";
  EXPECT_THAT(ErrorOf(sources),
              AllOf(HasSubstr("tls.ca is not set"), HasSubstr("--listen"),
                    HasSubstr("SEJF_TLS_CA")));
  sources.environment = {{"SEJF_TLS_CA", "/ca.pem"},
                         {"SEJF_TLS_CERT", "/cert.pem"}};
  EXPECT_THAT(ErrorOf(sources), HasSubstr("tls.key is not set"));
  sources.environment["SEJF_TLS_KEY"] = "/key.pem";
  EXPECT_TRUE(LoadConfig(sources).ok());
}

TEST_F(LoadConfigTest, MissingRequiredKeysAreNamed) {
  EXPECT_THAT(ErrorOf(FileSources("[hsm]\ntoken_label = \"t\"\n")),
              HasSubstr("no listener"));
  EXPECT_THAT(ErrorOf(FileSources("[listen]\nunix_socket = \"/s\"\n")),
              AllOf(HasSubstr("hsm.token_label is not set"),
                    HasSubstr("SEJF_HSM_TOKEN_LABEL")));
  EXPECT_THAT(ErrorOf(FileSources(
                  "[listen]\nunix_socket = \"/s\"\n[hsm]\ntoken_label = "
                  "\"t\"\n")),
              AllOf(HasSubstr("hsm.pin_file is not set"),
                    HasSubstr("never from the configuration")));
  EXPECT_THAT(ErrorOf(FileSources("[listen]\nunix_socket = \"/s\"\n[hsm]\n"
                                  "token_label = \"t\"\npin_file = \"/p\"\n")),
              HasSubstr("storage.sqlite_path is not set"));
}

TEST_F(LoadConfigTest, OverlongSocketPathAndTokenLabelAreErrors) {
  ConfigSources sources = FileSources(kMinimalFile);
  sources.environment["SEJF_LISTEN_UNIX_SOCKET"] = "/" + std::string(120, 's');
  EXPECT_THAT(ErrorOf(sources), AllOf(HasSubstr("SEJF_LISTEN_UNIX_SOCKET"),
                                      HasSubstr("is 121 bytes long")));
  sources.environment = {{"SEJF_HSM_TOKEN_LABEL", std::string(33, 'x')}};
  EXPECT_THAT(ErrorOf(sources), HasSubstr("at most 32"));
}

TEST_F(LoadConfigTest, PolicyRulesComeFromTheFile) {
  auto config = LoadConfig(FileSources(std::string(kMinimalFile) + R"(
[[policy]]
name = "erp"
identities = ["spiffe://acme/erp/*"]
operations = ["auth.*"]
contexts = ["nip:5265877635"]
credentials = ["acme-*"]
[[policy]]
name = "reader"
identities = ["unix:1000"]
operations = ["keys.read"]
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->policy->rules().size(), 2u);
  EXPECT_EQ(config->policy->rules()[0], (PolicyRule{"erp",
                                                    {"spiffe://acme/erp/*"},
                                                    {"auth.*"},
                                                    {"nip:5265877635"},
                                                    {"acme-*"}}));
  EXPECT_TRUE(config->policy
                  ->Authorize({"spiffe://acme/erp/x", Operation::kAuthToken,
                               "nip:5265877635", "acme-token"})
                  .allowed);
  EXPECT_FALSE(
      config->policy
          ->Authorize({"unix:1000", Operation::kKeysRead, "nip:5265877635", {}})
          .allowed);
}

TEST_F(LoadConfigTest, InvalidPolicyRuleNamesFileRuleAndValue) {
  ConfigSources sources = FileSources(std::string(kMinimalFile) + R"(
[[policy]]
name = "ok"
identities = ["a"]
operations = ["keys.read"]
[[policy]]
name = "erp-signing"
identities = ["spiffe://acme/erp"]
operations = ["auth.xdes"]
)");
  EXPECT_THAT(ErrorOf(sources),
              AllOf(HasSubstr(sources.config_file),
                    HasSubstr("policy rule 2 (\"erp-signing\")"),
                    HasSubstr("\"auth.xdes\" matches no known operation")));
}

TEST_F(LoadConfigTest, MalformedPolicyTableIsAnError) {
  EXPECT_THAT(
      ErrorOf(FileSources(std::string(kMinimalFile) +
                          "[[policy]]\nname = \"a\"\nidentity = [\"x\"]\n")),
      AllOf(HasSubstr("unknown key \"[[policy]] #1 identity\""),
            HasSubstr("identities")));
  EXPECT_THAT(
      ErrorOf(FileSources(std::string(kMinimalFile) +
                          "[[policy]]\nname = \"a\"\nidentities = \"x\"\n")),
      HasSubstr("\"[[policy]] #1 identities\" in"));
  EXPECT_THAT(
      ErrorOf(FileSources(std::string(kMinimalFile) +
                          "[[policy]]\nname = \"a\"\nidentities = [1]\n")),
      HasSubstr("must be an array of strings, each, not an integer"));
  EXPECT_THAT(ErrorOf(FileSources(std::string(kMinimalFile) +
                                  "[[policy]]\nidentities = [\"x\"]\n"
                                  "operations = [\"*\"]\n")),
              HasSubstr("policy rule 1: name must not be empty"));
}

TEST_F(LoadConfigTest, DevAddsDevAdminAfterFileRules) {
  ConfigSources sources = FileSources(R"(
[[policy]]
name = "erp"
identities = ["erp"]
operations = ["auth.xades"]
)");
  sources.dev = true;
  sources.data_dir = dir_;
  sources.daemon_uid = 77;
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->policy->rules().size(), 2u);
  EXPECT_EQ(config->policy->rules()[1], DevAdminRule(77));
}

TEST_F(LoadConfigTest, ReloadReturnsTheNewPolicyAndKeysNeedingRestart) {
  const std::string rule_a = R"(
[[policy]]
name = "a"
identities = ["x"]
operations = ["keys.read"]
)";
  ConfigSources sources = FileSources(std::string(kMinimalFile) + rule_a);
  auto running = LoadConfig(sources);
  ASSERT_TRUE(running.ok()) << running.status();

  Write("sejfd.toml", std::string(kMinimalFile) + R"(
[server]
max_threads = 2
[[policy]]
name = "b"
identities = ["x"]
operations = ["keys.manage"]
)");
  auto reload = ReloadPolicy(sources, *running);
  ASSERT_TRUE(reload.ok()) << reload.status();
  EXPECT_EQ(
      reload->policy->Authorize({"x", Operation::kKeysManage, {}, {}}).rule,
      "b");
  EXPECT_FALSE(
      reload->policy->Authorize({"x", Operation::kKeysRead, {}, {}}).allowed);
  EXPECT_THAT(reload->restart_required, ElementsAre("server.max_threads"));
}

TEST_F(LoadConfigTest, ReloadOfInvalidFileFailsAndNamesTheProblem) {
  ConfigSources sources = FileSources(kMinimalFile);
  auto running = LoadConfig(sources);
  ASSERT_TRUE(running.ok()) << running.status();
  Write("sejfd.toml", std::string(kMinimalFile) +
                          "[[policy]]\nname = \"r\"\nidentities = [\"x\"]\n"
                          "operations = [\"tokens.raed\"]\n");
  auto reload = ReloadPolicy(sources, *running);
  EXPECT_FALSE(reload.ok());
  EXPECT_THAT(reload.status().message(), HasSubstr("\"tokens.raed\""));
}

TEST_F(LoadConfigTest, VerifyReferencedFilesNamesTheMissingOne) {
  ConfigSources sources;
  sources.dev = true;
  sources.data_dir = dir_;
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  config->hsm.module = "libsofthsm2.so";  // a name: left to the loader
  absl::Status s = VerifyReferencedFiles(*config);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(),
              AllOf(HasSubstr("tls.ca"), HasSubstr(dir_ + "/tls/ca.pem"),
                    HasSubstr("--dev default")));
  for (const char* name :
       {"tls/ca.pem", "tls/server.pem", "tls/server.key", "hsm-pin"}) {
    Write(name, "x");
  }
  EXPECT_THAT(VerifyReferencedFiles(*config).message(),
              HasSubstr("hsm.softhsm2_conf"));
  Write("softhsm2.conf", "x");
  EXPECT_TRUE(VerifyReferencedFiles(*config).ok());
  config->storage.sqlite_path = dir_ + "/missing/sejf.db";
  EXPECT_THAT(VerifyReferencedFiles(*config).message(),
              HasSubstr("storage.sqlite_path: directory"));
}

TEST_F(LoadConfigTest, DescribeConfigShowsValuesAndOrigins) {
  ConfigSources sources = FileSources(std::string(kMinimalFile) + R"(
[[policy]]
name = "a"
identities = ["x"]
operations = ["keys.read"]
)");
  sources.environment["SEJF_SERVER_MAX_THREADS"] = "9";
  auto config = LoadConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status();
  std::string text = DescribeConfig(*config);
  EXPECT_THAT(text, HasSubstr("server.max_threads = 9  # environment variable "
                              "SEJF_SERVER_MAX_THREADS\n"));
  EXPECT_THAT(text, HasSubstr("hsm.token_label = \"sejf\"  # " +
                              sources.config_file + " line 5\n"));
  EXPECT_THAT(text, HasSubstr("log.format = \"text\"  # built-in default\n"));
  EXPECT_THAT(text, HasSubstr("policy: 1 rule(s): a\n"));
}

}  // namespace
}  // namespace sejf::server
