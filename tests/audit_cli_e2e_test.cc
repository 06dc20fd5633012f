// `sejf audit list` and `sejf audit verify` against a real dev sejfd: every
// RPC (allowed or denied) becomes an event, and an event edited in the
// database file is found by verify, which names its sequence number. A log
// cut short (with a rewritten head) or wiped with the sqlite3 CLI while
// sejfd is stopped is refused at start-up and by `sejfd --verify-audit-log`
// (its HSM anchor remembers the end), until the operator re-anchors it.

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/sejfd_test.h"
#include "tests/testing/stored_records.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;

class AuditCliE2eTest : public SejfdTest {
 protected:
  void SetUp() override { StartSejfd(); }

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
    const std::string db = data_dir() + "/sejf.db";
    const std::string name = absl::StrFormat("%020d", sequence);
    absl::StatusOr<std::string> data =
        ReadStoredRecord(db, "audit_events", name);
    ASSERT_TRUE(data.ok()) << data.status();
    ASSERT_TRUE(absl::StrContains(*data, from));
    absl::StrReplaceAll({{from, to}}, &*data);
    absl::Status written = WriteStoredRecord(db, "audit_events", name, *data);
    EXPECT_TRUE(written.ok()) << written;
  }

  // The sqlite3 command line on the daemon's database file.
  CommandResult Sqlite(const std::string& sql) {
    return RunCommand({"/usr/bin/sqlite3", data_dir() + "/sejf.db", sql});
  }

  // The sequence number of the newest event.
  int LastEvent() {
    CommandResult r = Sqlite(
        "SELECT max(CAST(name AS INTEGER)) FROM records WHERE kind = "
        "'audit_events'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::atoi(r.out.c_str());
  }

  // The attack, with sejfd stopped: every event and checkpoint
  // after `keep` deleted and the head record rewritten to event `keep`.
  void TruncateAfter(int keep) {
    const std::string name = absl::StrFormat("%020d", keep);
    CommandResult hash = Sqlite(absl::StrCat(
        "SELECT hex(substr(data, -32, 32)) FROM records WHERE kind = "
        "'audit_events' AND name = '",
        name, "'"));
    ASSERT_EQ(hash.exit_code, 0) << hash.err;
    const std::string head_hex =
        absl::StrCat("01", absl::StrFormat("%016x", keep),
                     absl::StripAsciiWhitespace(hash.out));
    ASSERT_EQ(head_hex.size(), 2u + 16 + 64) << hash.out;
    CommandResult cut = Sqlite(
        absl::StrCat("DELETE FROM records WHERE kind IN ('audit_events', "
                     "'audit_checkpoints') AND name > '",
                     name, "'; UPDATE records SET data = X'", head_hex,
                     "' WHERE kind = 'audit_head';"));
    ASSERT_EQ(cut.exit_code, 0) << cut.err;
    ASSERT_EQ(LastEvent(), keep);
  }

  // The anchor as pkcs11-tool (an independent reader) prints it from the
  // dev token.
  CommandResult ReadAnchorWithPkcs11Tool() {
    return Pkcs11Tool({"--read-object", "--type", "data", "--label",
                       "sejf-audit-anchor", "--output-file", "/dev/stdout"});
  }
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

  ASSERT_NO_FATAL_FAILURE(StopSejfd());
  StartSejfd();
  ASSERT_EQ(Sejf({"audit", "verify"}).exit_code, 0);
  // Each GenerateKey is an intent and a result event: event 3 is the intent
  // of the second; its resource is keys/a2.
  ASSERT_NO_FATAL_FAILURE(StopSejfd());
  EditStoredEvent(3, "keys/a2", "keys/zz");
  StartSejfd();

  CommandResult bad = Sejf({"audit", "verify"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("first bad sequence 3"));
  CommandResult json = Sejf({"--output", "json", "audit", "verify"});
  EXPECT_EQ(json.exit_code, 1);
  auto result = nlohmann::json::parse(json.out);
  EXPECT_EQ(result["firstBadSequence"], "3");
}

TEST_F(AuditCliE2eTest, TruncatedLogWithRewrittenHeadIsRefusedAtStart) {
  for (const char* name : {"t1", "t2", "t3"}) {
    ASSERT_EQ(Sejf({"key", "generate", "--name", name, "--usage", "offline"})
                  .exit_code,
              0);
  }
  RestartSejfd();  // a checkpoint over the first session, anchored in the HSM
  const int first_session_end = LastEvent();
  for (const char* name : {"t4", "t5"}) {
    ASSERT_EQ(Sejf({"key", "generate", "--name", name, "--usage", "offline"})
                  .exit_code,
              0);
  }
  ASSERT_NO_FATAL_FAILURE(StopSejfd());
  const int end = LastEvent();
  ASSERT_GT(end, first_session_end);
  // The clean shutdown checkpointed and anchored the last event.
  CommandResult anchor = ReadAnchorWithPkcs11Tool();
  ASSERT_EQ(anchor.exit_code, 0) << anchor.err;
  EXPECT_THAT(anchor.out, HasSubstr(absl::StrCat("sejf-audit-anchor-v1\n"
                                                 "sequence=",
                                                 end, "\n")));

  // A consistent, shorter log: it used to pass as "audit chain OK".
  TruncateAfter(first_session_end);

  CommandResult start = RunSejfd({});
  EXPECT_NE(start.exit_code, 0);
  EXPECT_THAT(start.err, HasSubstr("truncated or rolled back"));
  EXPECT_THAT(start.err,
              HasSubstr(absl::StrCat("ends at event ", first_session_end)));
  EXPECT_THAT(start.err, HasSubstr(absl::StrCat("records event ", end, ":")));
  EXPECT_THAT(start.err, HasSubstr("--reanchor-audit-log"));

  CommandResult verify = RunSejfd({"--verify-audit-log"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  EXPECT_THAT(verify.err, HasSubstr("does NOT verify"));
  EXPECT_THAT(verify.err,
              HasSubstr(absl::StrCat("events ", first_session_end + 1, "..",
                                     end, " were deleted")));

  // The operator's way out, explicit and on the record.
  SejfdConfig reanchoring;
  reanchoring.extra_args = {"--reanchor-audit-log"};
  StartSejfd(reanchoring);
  EXPECT_THAT(daemon().Stderr(), HasSubstr("re-anchored"));
  nlohmann::json reanchor = Events({"--operation", "audit.reanchor"});
  ASSERT_EQ(reanchor.size(), 1u) << reanchor.dump();
  EXPECT_THAT(reanchor[0]["detail"].get<std::string>(),
              HasSubstr(absl::StrCat("anchor was ", end, ":")));
  CommandResult ok = Sejf({"audit", "verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(AuditCliE2eTest, WipedLogIsRefusedAtStartNotStartedAfresh) {
  ASSERT_EQ(
      Sejf({"key", "generate", "--name", "w1", "--usage", "offline"}).exit_code,
      0);
  ASSERT_NO_FATAL_FAILURE(StopSejfd());
  CommandResult wipe = Sqlite(
      "DELETE FROM records WHERE kind IN ('audit_events', "
      "'audit_checkpoints', 'audit_head')");
  ASSERT_EQ(wipe.exit_code, 0) << wipe.err;

  CommandResult start = RunSejfd({});
  EXPECT_NE(start.exit_code, 0);
  EXPECT_THAT(start.err, HasSubstr("the audit log was wiped"));
  // Refusing wrote nothing: still no audit row at all.
  CommandResult rows =
      Sqlite("SELECT count(*) FROM records WHERE kind LIKE 'audit%'");
  EXPECT_EQ(absl::StripAsciiWhitespace(rows.out), "0");

  CommandResult verify = RunSejfd({"--verify-audit-log"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  EXPECT_THAT(verify.err, HasSubstr("the log was wiped"));
}

TEST_F(AuditCliE2eTest, VerifyPrintsTheHeadAndExpectHoldsTheLogToIt) {
  ASSERT_EQ(
      Sejf({"key", "generate", "--name", "e1", "--usage", "offline"}).exit_code,
      0);
  // The first start anchored the (empty) log: trust on first use, logged.
  EXPECT_THAT(daemon().Stderr(), HasSubstr("for the first time"));
  CommandResult first = Sejf({"audit", "verify"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string head;
  for (absl::string_view line : absl::StrSplit(first.out, '\n')) {
    if (absl::ConsumePrefix(&line, "head ")) head = std::string(line);
  }
  ASSERT_EQ(head.size(), head.find(':') + 1 + 64) << first.out;

  CommandResult kept = Sejf({"audit", "verify", "--expect", head});
  EXPECT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_THAT(kept.out, HasSubstr("has the expected hash"));

  std::string other = head;
  other.back() = other.back() == '0' ? '1' : '0';
  CommandResult changed = Sejf({"audit", "verify", "--expect", other});
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_THAT(changed.err, HasSubstr("not the expected"));

  CommandResult beyond =
      Sejf({"audit", "verify", "--expect",
            absl::StrCat("999999", head.substr(head.find(':')))});
  EXPECT_EQ(beyond.exit_code, 1);
  EXPECT_THAT(beyond.err, HasSubstr("you expected event 999999"));

  CommandResult malformed = Sejf({"audit", "verify", "--expect", "404"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr("SEQ:HASH"));
}

}  // namespace
}  // namespace sejf::testing
