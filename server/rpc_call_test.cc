// The RPC frame in-process, over a real SQLite file: the intent event
// against a crash (issue 11, finding 5), the deciding rule, quiet refusals.
//
// The crash tests run the real frame (RunRpcAs, RpcCall, AuditLog,
// SqliteStorage) in a death-test child that changes state inside the
// handler and is killed by SIGKILL before the frame can append the result
// event — the worst moment for the audit log. The parent then reads the
// database with the `sqlite3` command line and with our own decoder.
#include "server/rpc_call.h"

#include <fcntl.h>
#include <grpcpp/server_context.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/softhsm_testing.h"
#include "sejf/v1/token_vault.pb.h"
#include "server/policy/policy.h"
#include "server/policy/policy_holder.h"
#include "vault/audit/audit_event.h"
#include "vault/audit/audit_log.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::server {
namespace {

using ::sejf::hsm::testing::RunCommand;
using ::sejf::hsm::testing::TempDir;

constexpr char kMethod[] = "/sejf.v1.TokenVault/ImportToken";
constexpr char kChangedKind[] = "tokens";
constexpr char kChangedName[] = "crash-tok";

std::shared_ptr<const Policy> WriterPolicy() {
  PolicyRule rule;
  rule.name = "erp-writes";
  rule.identities = {"erp"};
  rule.operations = {"tokens.*"};
  rule.contexts = {"nip:5265877635"};
  rule.credentials = {"crash-*"};
  return *Policy::Build({rule});
}

AccessTarget CrashTarget() {
  AccessTarget target;
  target.resource = absl::StrCat("tokens/", kChangedName);
  target.credential = kChangedName;
  target.context = "nip:5265877635";
  return target;
}

// Everything the frame needs, over the SQLite file at `path`.
struct Frame {
  explicit Frame(const std::string& path)
      : storage(*vault::SqliteStorage::Open(path, SystemClock::Get())),
        audit(
            *vault::AuditLog::Open(storage.get(), &keys, &SystemClock::Get())),
        policy(WriterPolicy()),
        logger(/*json=*/false, open("/dev/null", O_WRONLY)) {
    env.policy = &policy;
    env.logger = &logger;
    env.audit = audit.get();
  }

  // The state change a handler makes: one committed record.
  absl::Status Change() {
    ASSIGN_OR_RETURN(std::unique_ptr<vault::Transaction> txn,
                     storage->Begin(vault::TransactionMode::kReadWrite));
    RETURN_IF_ERROR(txn->Insert(kChangedKind, kChangedName, "sealed").status());
    return txn->Commit();
  }

  std::unique_ptr<vault::SqliteStorage> storage;
  hsm::testing::FakeKeyStore keys;
  std::unique_ptr<vault::AuditLog> audit;
  PolicyHolder policy;
  Logger logger;
  ServiceEnvironment env;
};

enum class CrashPoint { kAfterChange, kBeforeChange };

// Runs in the death-test child: one RPC whose handler dies at `point`.
void RunAndCrash(const std::string& path, CrashPoint point) {
  Frame frame(path);
  grpc::ServerContext context;
  RunRpcAs(frame.env, &context, kMethod, Caller{"erp", "tls"},
           [&](RpcCall& call) -> absl::Status {
             RETURN_IF_ERROR(
                 call.Authorize(Operation::kTokensManage, CrashTarget()));
             if (point == CrashPoint::kBeforeChange) raise(SIGKILL);
             RETURN_IF_ERROR(frame.Change());
             raise(SIGKILL);  // before the frame appends the result
             return absl::OkStatus();
           });
  _exit(3);  // not reached: the handler does not return
}

class RpcCallCrashTest : public ::testing::Test {
 protected:
  // The death-test child re-runs this fixture in a fresh process (the
  // "threadsafe" style: no fork of a process with threads); it finds the
  // parent's database through the environment it inherits.
  static constexpr char kPathVariable[] = "SEJF_RPC_CALL_TEST_DB";

  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    if (const char* inherited = getenv(kPathVariable)) {
      path_ = inherited;  // the child
    } else {
      dir_.emplace();  // only the parent: the killed child leaves nothing
      path_ = dir_->path() + "/sejf.db";
      setenv(kPathVariable, path_.c_str(), 1);
    }
  }
  void TearDown() override { unsetenv(kPathVariable); }

  // `sqlite3 PATH SQL`, independent of our storage code.
  std::string Sql(const std::string& sql) {
    auto out = RunCommand(absl::StrCat("sqlite3 ", path_, " \"", sql, "\""));
    EXPECT_TRUE(out.ok()) << out.status();
    return out.value_or("");
  }

  bool ChangePresent() {
    return Sql(absl::StrCat("SELECT count(*) FROM records WHERE kind = '",
                            kChangedKind, "' AND name = '", kChangedName,
                            "'")) == "1\n";
  }

  // The stored events, decoded.
  std::vector<vault::AuditEvent> StoredEvents() {
    auto storage = vault::SqliteStorage::Open(path_, SystemClock::Get());
    EXPECT_TRUE(storage.ok()) << storage.status();
    auto txn = (*storage)->Begin(vault::TransactionMode::kReadOnly);
    auto page = (*txn)->List(vault::kAuditEventKind, {});
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<vault::AuditEvent> events;
    for (const vault::Record& record : page->records) {
      auto row = vault::DecodeAuditEventRow(record.data);
      EXPECT_TRUE(row.ok()) << row.status();
      if (row.ok()) events.push_back(row->event);
    }
    return events;
  }

  std::optional<TempDir> dir_;
  std::string path_;
};

TEST_F(RpcCallCrashTest, CrashAfterTheChangeLeavesTheChangeAudited) {
  EXPECT_EXIT(RunAndCrash(path_, CrashPoint::kAfterChange),
              ::testing::KilledBySignal(SIGKILL), "");
  ASSERT_TRUE(ChangePresent());
  // Independent check: one event row, and it names the changed record.
  EXPECT_EQ(Sql("SELECT count(*) FROM records WHERE kind = 'audit_events' "
                "AND instr(data, 'tokens/crash-tok') > 0"),
            "1\n");
  std::vector<vault::AuditEvent> events = StoredEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome, vault::kAuditOutcomeStarted);
  EXPECT_EQ(events[0].identity, "erp");
  EXPECT_EQ(events[0].operation, "tokens.manage");
  EXPECT_EQ(events[0].resource, "tokens/crash-tok");
  EXPECT_EQ(events[0].rule, "erp-writes");

  // The log opens again and its chain holds over the intent event.
  Frame reopened(path_);
  auto verified = reopened.audit->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->events_checked, 1);
}

TEST_F(RpcCallCrashTest, CrashBeforeTheChangeLeavesNoChange) {
  EXPECT_EXIT(RunAndCrash(path_, CrashPoint::kBeforeChange),
              ::testing::KilledBySignal(SIGKILL), "");
  EXPECT_FALSE(ChangePresent());
  // An intent without a result: the operator sees the call started.
  std::vector<vault::AuditEvent> events = StoredEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome, vault::kAuditOutcomeStarted);
}

TEST_F(RpcCallCrashTest, WithoutACrashTheIntentIsFollowedByTheResult) {
  Frame frame(path_);
  grpc::ServerContext context;
  grpc::Status status =
      RunRpcAs(frame.env, &context, kMethod, Caller{"erp", "tls"},
               [&](RpcCall& call) -> absl::Status {
                 RETURN_IF_ERROR(
                     call.Authorize(Operation::kTokensManage, CrashTarget()));
                 return frame.Change();
               });
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(frame.audit->Close().ok());
  std::vector<vault::AuditEvent> events = StoredEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].outcome, "STARTED");
  EXPECT_EQ(events[1].outcome, "OK");
  EXPECT_EQ(events[0].request_id, events[1].request_id);
  EXPECT_EQ(events[1].rule, "erp-writes");
}

TEST_F(RpcCallCrashTest, IntentThatCannotBeStoredRefusesTheCallUnchanged) {
  Frame frame(path_);
  ASSERT_TRUE(frame.audit->Close().ok());  // every Append fails from now on
  bool acted = false;
  grpc::ServerContext context;
  grpc::Status status =
      RunRpcAs(frame.env, &context, kMethod, Caller{"erp", "tls"},
               [&](RpcCall& call) -> absl::Status {
                 RETURN_IF_ERROR(
                     call.Authorize(Operation::kTokensManage, CrashTarget()));
                 acted = true;
                 return frame.Change();
               });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(acted);
  EXPECT_FALSE(ChangePresent());
}

TEST_F(RpcCallCrashTest, DenialNamesTheCredentialButNoContext) {
  Frame frame(path_);
  grpc::ServerContext context;
  grpc::Status status =
      RunRpcAs(frame.env, &context, kMethod, Caller{"someone", "tls"},
               [&](RpcCall& call) -> absl::Status {
                 return call.Authorize(Operation::kTokensManage, CrashTarget());
               });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "policy does not allow someone to perform operation "
            "tokens.manage on crash-tok");
}

TEST_F(RpcCallCrashTest, OverTheRateTheHandlerDoesNotRunAndOneEventPerStreak) {
  Frame frame(path_);
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter({.requests_per_second = 1, .burst = 2}, clock);
  frame.env.rate_limiter = &limiter;
  int handled = 0;
  auto call_as = [&](const std::string& identity) {
    grpc::ServerContext context;
    return RunRpcAs(frame.env, &context, kMethod, Caller{identity, "tls"},
                    [&](RpcCall&) -> absl::Status {
                      ++handled;
                      return absl::OkStatus();
                    });
  };
  EXPECT_TRUE(call_as("erp").ok());
  EXPECT_TRUE(call_as("erp").ok());
  grpc::Status limited;
  for (int i = 0; i < 50; ++i) {
    limited = call_as("erp");
    EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  EXPECT_EQ(handled, 2);
  EXPECT_EQ(limited.error_message(),
            "rate limit: erp may make 1 calls per second (bursts of 2); "
            "retry after 1000 ms");
  EXPECT_FALSE(limited.error_details().empty());  // google.rpc.RetryInfo
  // Another identity is served meanwhile.
  EXPECT_TRUE(call_as("auditor").ok());
  EXPECT_EQ(handled, 3);
  // Waiting as told is enough.
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(call_as("erp").ok());

  ASSERT_TRUE(frame.audit->Close().ok());
  int refusals = 0;
  for (const vault::AuditEvent& event : StoredEvents()) {
    if (event.outcome == "RESOURCE_EXHAUSTED") {
      ++refusals;
      EXPECT_EQ(event.identity, "erp");
      EXPECT_EQ(event.method, kMethod);
    }
  }
  EXPECT_EQ(refusals, 1);  // of 50 refused calls
}

}  // namespace
}  // namespace sejf::server

namespace sejf::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(RpcCallCrashTest, MetricsCountCallsDenialsAndRateLimitedCalls) {
  Frame frame(path_);
  metrics::Registry registry;
  RpcMetrics rpc_metrics(&registry);
  frame.env.metrics = &rpc_metrics;
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter({.requests_per_second = 1, .burst = 1}, clock);
  frame.env.rate_limiter = &limiter;
  auto call_as = [&](const std::string& identity) {
    grpc::ServerContext context;
    return RunRpcAs(frame.env, &context, kMethod, Caller{identity, "tls"},
                    [&](RpcCall& call) -> absl::Status {
                      return call.Authorize(Operation::kTokensManage,
                                            CrashTarget());
                    });
  };
  EXPECT_FALSE(call_as("someone").ok());           // denied
  for (int i = 0; i < 3; ++i) call_as("someone");  // rate limited
  {
    grpc::ServerContext context;
    RunRpcAs(frame.env, &context, "/made.up.Service/Nothing",
             Caller{"auditor", "tls"},
             [](RpcCall&) { return absl::OkStatus(); });
  }

  // kMethod's descriptor, linked into this binary as into sejfd (a static
  // library's unreferenced descriptors are left out).
  ASSERT_NE(sejf::v1::ImportTokenRequest::descriptor(), nullptr);
  const std::string text = registry.Render();
  const std::string method = kMethod;
  EXPECT_THAT(text, HasSubstr("sejf_rpc_requests_total{method=\"" + method +
                              "\",code=\"PERMISSION_DENIED\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_rpc_requests_total{method=\"" + method +
                              "\",code=\"RESOURCE_EXHAUSTED\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("sejf_policy_denials_total{operation=\"tokens."
                              "manage\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_rate_limited_requests_total{method=\"" +
                              method + "\"} 3\n"));
  // A method no descriptor knows is not a label.
  EXPECT_THAT(text, HasSubstr("sejf_rpc_requests_total{method=\"unknown\","
                              "code=\"OK\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("made.up")));
}

}  // namespace
}  // namespace sejf::server
