// deploy/sejfd.example.toml is what operators copy: it must load, set every
// key, and its rules must mean what its comments say.
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config_keys.h"
#include "server/config/load_config.h"

namespace sejf::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ExampleConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* source_dir = std::getenv("SEJF_SOURCE_DIR");
    ASSERT_NE(source_dir, nullptr) << "SEJF_SOURCE_DIR is not set";
    sources_.config_file =
        std::string(source_dir) + "/deploy/sejfd.example.toml";
    sources_.daemon_uid = 1000;
  }
  ConfigSources sources_;
};

TEST_F(ExampleConfigTest, LoadsWithTheDocumentedValues) {
  auto config = LoadConfig(sources_);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, "/var/lib/sejf");
  EXPECT_EQ(config->listen.tcp, "127.0.0.1:7443");
  EXPECT_EQ(config->listen.unix_socket, "/run/sejf/sejf.sock");
  EXPECT_EQ(config->tls.ca, "/etc/sejf/tls/client-ca.pem");
  EXPECT_EQ(config->tls.cert, "/etc/sejf/tls/server.pem");
  EXPECT_EQ(config->tls.key, "/etc/sejf/tls/server.key");
  EXPECT_EQ(config->tls.crl, "/etc/sejf/tls/client-ca.crl");
  EXPECT_EQ(config->hsm.module, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(config->hsm.token_label, "sejf");
  EXPECT_EQ(config->hsm.pin_file, "/etc/sejf/hsm-pin");
  EXPECT_EQ(config->hsm.softhsm2_conf, "/etc/sejf/softhsm2.conf");
  EXPECT_EQ(config->hsm.call_timeout_seconds, 10);
  EXPECT_EQ(config->storage.backend, StorageBackend::kSqlite);
  EXPECT_EQ(config->storage.sqlite_path, "/var/lib/sejf/sejf.db");
  EXPECT_EQ(config->storage.postgres_url,
            "postgresql://sejf@db.example.com:5432/sejf");
  EXPECT_EQ(config->storage.postgres_password_file,
            "/etc/sejf/postgres-password");
  EXPECT_EQ(config->storage.postgres_ca_file, "/etc/sejf/postgres-ca.pem");
  EXPECT_EQ(config->storage.postgres_max_connections, 8);
  EXPECT_EQ(config->storage.lock_timeout_ms, 5000);
  EXPECT_EQ(config->log.format, LogFormat::kJson);
  EXPECT_EQ(config->server.shutdown_grace_seconds, 10);
  EXPECT_EQ(config->server.max_threads, 64);
  EXPECT_EQ(config->server.max_request_bytes, 1 << 20);
  EXPECT_EQ(config->limits.requests_per_second, 100);
  EXPECT_EQ(config->limits.burst, 200);
  EXPECT_EQ(config->audit.checkpoint_export_file,
            "/var/lib/sejf/audit-checkpoints.jsonl");
  EXPECT_EQ(config->metrics.listen, "127.0.0.1:9464");  // issue 16
  EXPECT_EQ(config->dropoff.listen, "0.0.0.0:7444");    // issue 15
  EXPECT_EQ(config->dropoff.public_url, "https://sejf.example.com:7444");
  EXPECT_EQ(config->ksef.signing_time_skew_seconds, 60);
  EXPECT_EQ(config->ksef.api_connect_timeout_seconds, 10);
  EXPECT_EQ(config->ksef.api_timeout_seconds, 30);
  EXPECT_EQ(config->ksef.api_max_attempts, 3);
  EXPECT_EQ(config->ksef.refresh_margin_seconds, 60);
  EXPECT_EQ(config->ksef.api_requests_per_second, 50);
  EXPECT_EQ(config->ksef.token_status_interval_seconds, 21600);  // issue 14
  EXPECT_EQ(config->ksef.enrollment_wait_seconds, 60);
  EXPECT_EQ(config->ksef.enrollment_poll_seconds, 5);
  EXPECT_EQ(config->ksef.certificate_status_seconds, 21600);
  EXPECT_THAT(config->warnings, IsEmpty());
}

TEST_F(ExampleConfigTest, SetsEveryKeySoOperatorsSeeThemAll) {
  auto config = LoadConfig(sources_);
  ASSERT_TRUE(config.ok()) << config.status();
  for (const KeySpec& key : ConfigKeys()) {
    EXPECT_THAT(config->origins.at(std::string(key.name)),
                ::testing::StartsWith(config->config_file + " line "))
        << key.name << " is not in the example file";
  }
}

TEST_F(ExampleConfigTest, RulesGrantWhatTheCommentsSay) {
  auto config = LoadConfig(sources_);
  ASSERT_TRUE(config.ok()) << config.status();
  const Policy& policy = *config->policy;
  std::vector<std::string> names;
  for (const PolicyRule& rule : policy.rules()) names.push_back(rule.name);
  EXPECT_THAT(names, ElementsAre("erp-signing", "key-admins"));

  // The ERP signs for Acme's NIP with Acme's authentication keys, only.
  auto erp = [&](Operation op, absl::optional<absl::string_view> context,
                 absl::optional<absl::string_view> credential) {
    return policy.Authorize({"spiffe://acme/erp", op, context, credential})
        .allowed;
  };
  EXPECT_TRUE(erp(Operation::kAuthXades, "nip:5265877635", "acme-auth-2025"));
  EXPECT_FALSE(erp(Operation::kAuthXades, "nip:1111111111", "acme-auth-2025"));
  EXPECT_FALSE(erp(Operation::kAuthXades, "nip:5265877635", "other-key"));
  EXPECT_FALSE(erp(Operation::kAuthToken, "nip:5265877635", "acme-auth-1"));
  EXPECT_FALSE(erp(Operation::kKeysRead, {}, {}));

  // Key administrators manage, but cannot authenticate to KSeF.
  auto admin = [&](Operation op) {
    return policy
        .Authorize({"spiffe://acme/ops/key-admin-anna", op, "nip:5265877635",
                    "acme-auth-2025"})
        .allowed;
  };
  EXPECT_TRUE(admin(Operation::kKeysManage));
  EXPECT_TRUE(admin(Operation::kTokensManage));
  EXPECT_TRUE(admin(Operation::kMfcertsManage));
  EXPECT_TRUE(policy
                  .Authorize({"spiffe://acme/ops/key-admin-anna",
                              Operation::kVaultAdmin,
                              {},
                              {}})
                  .allowed);
  AccessRequest whole_log{
      "spiffe://acme/ops/key-admin", Operation::kAuditRead, {}, {}};
  whole_log.whole_vault = true;
  EXPECT_TRUE(policy.Authorize(whole_log).allowed);
  // The ERP's scoped rule reaches none of the whole-vault operations.
  EXPECT_FALSE(erp(Operation::kVaultAdmin, {}, {}));
  EXPECT_FALSE(erp(Operation::kMfcertsManage, {}, {}));
  EXPECT_TRUE(admin(Operation::kAuditRead));
  EXPECT_FALSE(admin(Operation::kAuthXades));
  EXPECT_FALSE(admin(Operation::kAuthToken));
  EXPECT_FALSE(admin(Operation::kQrOffline));

  // Nobody else.
  EXPECT_FALSE(
      policy.Authorize({"unix:0", Operation::kKeysRead, {}, {}}).allowed);
}

TEST_F(ExampleConfigTest, KsefEnvironmentsCarryTheMinistryTrust) {
  auto config = LoadConfig(sources_);
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& environments = config->ksef.environments;
  ASSERT_EQ(environments.size(), 2u);
  EXPECT_EQ(environments.at("prod").api_url, "https://api.ksef.mf.gov.pl/v2");
  EXPECT_EQ(environments.at("prod").ca_file, "");
  EXPECT_EQ(environments.at("test").api_url, "");
  EXPECT_EQ(environments.at("test").ca_file, "/etc/sejf/proxy-ca.pem");
  EXPECT_EQ(environments.at("prod").mf_trust_anchors,
            "/etc/sejf/mf-trust-anchors.pem");
  EXPECT_THAT(environments.at("prod").mf_pinned_fingerprints, IsEmpty());
  EXPECT_TRUE(environments.at("prod").token_context_identifier);
  EXPECT_EQ(environments.at("test").mf_trust_anchors, "");
  EXPECT_THAT(environments.at("test").mf_pinned_fingerprints,
              ElementsAre("ea0cec4dff875eb80ff7843fff3b04ce"
                          "8a5ca616e081000dad2d8f8a4746005c"));
}

}  // namespace
}  // namespace sejf::server
