// `sejf audit list` and `sejf audit verify` against a real dev sejfd: every
// RPC (allowed or denied) becomes an event, and an event edited in the
// database file is found by verify, which names its sequence number.
#include <sqlite3.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/secret.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/tls/certificate_issuer.h"
#include "tests/testing/sejfd_process.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;

class AuditCliE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = tmp_.path() + "/data";
    Start();
  }

  void Start() {
    auto started = SejfdProcess::Start(options_);
    ASSERT_TRUE(started.ok()) << started.status();
    daemon_ = *std::move(started);
  }

  CommandResult Sejf(std::vector<std::string> args) {
    args.insert(args.begin(),
                {SejfCliBinary(), "--addr", "unix:" + daemon_->unix_socket()});
    return RunCommand(args, {{"SEJF_ADDR", ""}});
  }

  // `sejf ARGS…` over mutual TLS as `identity` (a certificate from the dev
  // CA; no policy rule names it).
  CommandResult SejfAs(const std::string& identity,
                       std::vector<std::string> args) {
    const std::string tls = options_.data_dir + "/tls/";
    server::CertificateSpec spec;
    spec.common_name = identity;
    spec.usage = server::CertificateUsage::kClient;
    spec.validity = absl::Hours(1);
    auto ca = ReadFile(tls + "ca.pem");
    auto ca_key = ReadSecretFile(tls + "ca.key");
    EXPECT_TRUE(ca.ok() && ca_key.ok());
    auto issued =
        server::IssueCertificate(*ca, *ca_key, spec, SystemClock::Get());
    EXPECT_TRUE(issued.ok()) << issued.status();
    const std::string cert = tmp_.path() + "/" + identity + ".pem";
    const std::string key = tmp_.path() + "/" + identity + ".key";
    std::ofstream(cert) << issued->certificate_pem;
    std::ofstream(key) << SecretView(issued->private_key_pem);
    chmod(key.c_str(), 0600);
    args.insert(args.begin(),
                {SejfCliBinary(), "--addr", daemon_->tls_address(), "--ca",
                 tls + "ca.pem", "--cert", cert, "--key", key});
    return RunCommand(args, {{"SEJF_ADDR", ""}});
  }

  nlohmann::json Events(std::vector<std::string> filters = {}) {
    filters.insert(filters.begin(), {"--output", "json", "audit", "list"});
    CommandResult r = Sejf(filters);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json events = nlohmann::json::parse(r.out)["events"];
    return events.is_null() ? nlohmann::json::array() : events;
  }

  // Replaces `from` by `to` (same length) inside the stored bytes of event
  // `sequence`, as someone with write access to the database could.
  void EditStoredEvent(int sequence, const std::string& from,
                       const std::string& to) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((options_.data_dir + "/sejf.db").c_str(), &db),
              SQLITE_OK);
    const std::string name = absl::StrFormat("%020d", sequence);
    sqlite3_stmt* read = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT data FROM records WHERE kind = 'audit_events' "
                       "AND name = ?1",
                       -1, &read, nullptr);
    sqlite3_bind_text(read, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(read), SQLITE_ROW);
    std::string data(static_cast<const char*>(sqlite3_column_blob(read, 0)),
                     sqlite3_column_bytes(read, 0));
    sqlite3_finalize(read);
    ASSERT_TRUE(absl::StrContains(data, from));
    absl::StrReplaceAll({{from, to}}, &data);
    sqlite3_stmt* write = nullptr;
    sqlite3_prepare_v2(db,
                       "UPDATE records SET data = ?2 WHERE kind = "
                       "'audit_events' AND name = ?1",
                       -1, &write, nullptr);
    sqlite3_bind_text(write, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(write, 2, data.data(), static_cast<int>(data.size()),
                      SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(write), SQLITE_DONE);
    sqlite3_finalize(write);
    sqlite3_close(db);
  }

  TempDir tmp_;
  SejfdOptions options_;
  std::unique_ptr<SejfdProcess> daemon_;
};

TEST_F(AuditCliE2eTest, EveryCallIsAnEventWithIdentityOperationAndOutcome) {
  ASSERT_EQ(Sejf({"key", "generate", "--name", "audited", "--usage",
                  "authentication"})
                .exit_code,
            0);
  EXPECT_EQ(Sejf({"key", "show", "missing"}).exit_code, 1);

  // A state change: its intent (STARTED), then its result.
  nlohmann::json events = Events({"--operation", "keys.manage"});
  ASSERT_EQ(events.size(), 2u) << events.dump();
  EXPECT_EQ(events[0]["outcome"], "STARTED");
  EXPECT_EQ(events[0]["requestId"], events[1]["requestId"]);
  EXPECT_EQ(events[1]["identity"], absl::StrCat("unix:", geteuid()));
  EXPECT_EQ(events[1]["resource"], "keys/audited");
  EXPECT_EQ(events[1]["outcome"], "OK");
  EXPECT_EQ(events[1]["method"], "/sejf.v1.KeyCustody/GenerateKey");
  EXPECT_EQ(events[1]["rule"], "dev-admin");
  EXPECT_EQ(events[1]["hash"].get<std::string>().size(), 64u);
  // The table shows the deciding rule too.
  CommandResult table = Sejf({"audit", "list", "--operation", "keys.manage"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("RULE"));
  EXPECT_THAT(table.out, HasSubstr("dev-admin"));

  nlohmann::json not_found = Events({"--outcome", "NOT_FOUND"});
  ASSERT_EQ(not_found.size(), 1u) << not_found.dump();
  EXPECT_EQ(not_found[0]["resource"], "keys/missing");
}

TEST_F(AuditCliE2eTest, DeniedCallIsAuditedWithTheCallersIdentity) {
  CommandResult denied = SejfAs("erp-7", {"key", "list"});
  ASSERT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, HasSubstr("PERMISSION_DENIED"));

  nlohmann::json events = Events({"--identity", "erp-7"});
  ASSERT_EQ(events.size(), 1u) << events.dump();
  EXPECT_EQ(events[0]["operation"], "keys.read");
  EXPECT_EQ(events[0]["outcome"], "PERMISSION_DENIED");
  // erp-7 may not read the audit log either, and that is recorded too.
  EXPECT_EQ(SejfAs("erp-7", {"audit", "list"}).exit_code, 1);
  EXPECT_EQ(Events({"--identity", "erp-7"}).size(), 2u);
}

TEST_F(AuditCliE2eTest, VerifyHoldsAcrossRestartsAndNamesAnEditedEvent) {
  for (const char* name : {"a1", "a2", "a3"}) {
    ASSERT_EQ(Sejf({"key", "generate", "--name", name, "--usage", "offline"})
                  .exit_code,
              0);
  }
  CommandResult ok = Sejf({"audit", "verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("audit chain OK"));

  ASSERT_EQ(daemon_->Stop(), 0);
  daemon_.reset();
  Start();
  ASSERT_EQ(Sejf({"audit", "verify"}).exit_code, 0);
  // Each GenerateKey is an intent and a result event: event 3 is the intent
  // of the second; its resource is keys/a2.
  ASSERT_EQ(daemon_->Stop(), 0);
  daemon_.reset();
  EditStoredEvent(3, "keys/a2", "keys/zz");
  Start();

  CommandResult bad = Sejf({"audit", "verify"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("first bad sequence 3"));
  CommandResult json = Sejf({"--output", "json", "audit", "verify"});
  EXPECT_EQ(json.exit_code, 1);
  auto result = nlohmann::json::parse(json.out);
  EXPECT_EQ(result["firstBadSequence"], "3");
}

}  // namespace
}  // namespace sejf::testing
