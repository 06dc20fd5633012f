// The HSM anchor and chained checkpoints against the attacks of issue 11
// finding 4, on a real SQLite file edited behind the log's back (as someone
// with write access to the database would), with the anchor in a real
// SoftHSM2 token and in the fake store: a log cut short with a rewritten
// head, a wiped log, deleted or moved checkpoints, the anchor removed, a
// crash between the database commit and the anchor write, an operator's
// own record of a head (--expect), and the explicit re-anchoring.
#include "vault/audit/audit_anchor.h"

#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/key_store.h"
#include "hsm/testing/key_store_test_env.h"
#include "hsm/testing/softhsm_testing.h"
#include "vault/audit/audit_checkpoint_export.h"
#include "vault/audit/audit_log.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::vault {
namespace {

using ::sejf::hsm::testing::TempDir;
using ::testing::HasSubstr;

// SQL on the database file, as an attacker with file access would run it.
void Sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "") << " in " << sql;
  sqlite3_free(error);
  sqlite3_close(db);
}

// Sets the data of one record.
void SetRecord(const std::string& path, absl::string_view kind,
               const std::string& name, const std::string& data) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(
          db, "UPDATE records SET data = ?3 WHERE kind = ?1 AND name = ?2", -1,
          &stmt, nullptr),
      SQLITE_OK);
  sqlite3_bind_text(stmt, 1, kind.data(), static_cast<int>(kind.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 2, name.data(), static_cast<int>(name.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_blob(stmt, 3, data.data(), static_cast<int>(data.size()),
                    SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// A key store whose data objects are out of reach: writes fail (a device
// error, or "the process died before the anchor write"); with
// `old_version`, reads find none and writes are dropped, as for code from
// before anchoring.
class NoDataObjects : public hsm::KeyStoreWrapper {
 public:
  using KeyStoreWrapper::KeyStoreWrapper;
  bool old_version = false;
  absl::StatusOr<std::optional<std::string>> ReadDataObject(
      absl::string_view label) override {
    if (old_version) return std::nullopt;
    return KeyStoreWrapper::ReadDataObject(label);
  }
  absl::Status WriteDataObject(absl::string_view, absl::string_view) override {
    if (old_version) return absl::OkStatus();
    return absl::UnavailableError("the HSM went away");
  }
};

struct Implementation {
  std::string name;
  std::function<
      absl::StatusOr<std::unique_ptr<hsm::testing::KeyStoreTestEnv>>()>
      make;
  friend void PrintTo(const Implementation& impl, std::ostream* os) {
    *os << impl.name;
  }
};

AuditEvent Event(int i) {
  return AuditEvent{.request_id = absl::StrCat("req-", i),
                    .identity = "alice",
                    .operation = "keys.read",
                    .method = "/sejf.v1.KeyCustody/GetKey",
                    .resource = "keys/acme-auth",
                    .outcome = "OK"};
}

std::string Name(std::int64_t sequence) { return AuditSequenceName(sequence); }

std::string ReadFileForTest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class AuditAnchorTest : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override {
    auto env = GetParam().make();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    auto storage = SqliteStorage::Open(db_path_, clock_);
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
  }

  hsm::KeyStore& keys() { return env_->store(); }

  absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      AuditLogOptions options = {.checkpoint_interval = 10}) {
    return AuditLog::Open(storage_.get(), &keys(), &clock_, options);
  }

  // `count` more events through a log that is closed cleanly afterwards:
  // checkpoints at every 10th event after the start and at the end, each
  // anchored. The log signs off the append path and coalesces requests its
  // signer has not picked up yet (a slow signer skips a checkpoint, and
  // Close drops a pending request in favour of its own): so that the tests
  // below may name checkpoints by position, each one is awaited before the
  // next event is appended.
  void Write(int count, hsm::KeyStore* through = nullptr) {
    auto log = AuditLog::Open(storage_.get(), through ? through : &keys(),
                              &clock_, {.checkpoint_interval = 10});
    ASSERT_TRUE(log.ok()) << log.status();
    const std::int64_t start = (*log)->stats().last_sequence;
    for (int i = 0; i < count; ++i) {
      auto sequence = (*log)->Append(Event(i));
      ASSERT_TRUE(sequence.ok()) << sequence.status();
      const std::int64_t due = (*sequence - start) / 10;
      for (AuditLogStats stats = (*log)->stats();
           stats.checkpoints_stored < due; stats = (*log)->stats()) {
        ASSERT_TRUE(stats.last_checkpoint_error.ok())
            << stats.last_checkpoint_error;
        absl::SleepFor(absl::Milliseconds(1));
      }
    }
    (*log)->Close().IgnoreError();
  }

  // The stored checkpoint at `sequence` (a test failure when there is none).
  absl::StatusOr<AuditCheckpoint> CheckpointAt(std::int64_t sequence) {
    auto record = storage_->Get(kAuditCheckpointKind, Name(sequence));
    if (!record.ok()) return record.status();
    if (!record->has_value()) {
      return absl::NotFoundError(
          absl::StrCat("no checkpoint stored at event ", sequence));
    }
    return DecodeAuditCheckpoint((*record)->data);
  }

  AuditVerifyResult Verify(AuditVerifyOptions options = {}) {
    auto result =
        VerifyAuditLog(*storage_, keys(), kDefaultAuditKeyLabel, options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AuditVerifyResult{};
  }

  std::string HashOf(std::int64_t sequence) {
    auto record = storage_->Get(kAuditEventKind, Name(sequence));
    EXPECT_TRUE(record.ok() && record->has_value()) << "event " << sequence;
    if (!record.ok() || !record->has_value()) return "";
    auto row = DecodeAuditEventRow((*record)->data);
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() ? row->event.hash : "";
  }

  // The attack of the issue: every audit row after `keep` deleted and the
  // head rewritten to event `keep`.
  void TruncateAfter(std::int64_t keep) {
    const std::string hash = HashOf(keep);
    Sql(db_path_, absl::StrCat("DELETE FROM records WHERE kind IN ('",
                               kAuditEventKind, "','", kAuditCheckpointKind,
                               "') AND name > '", Name(keep), "'"));
    SetRecord(db_path_, kAuditHeadKind, std::string(kAuditHeadName),
              EncodeAuditHead({.sequence = keep, .hash = hash}));
  }

  void Wipe() {
    Sql(db_path_,
        absl::StrCat("DELETE FROM records WHERE kind IN ('", kAuditEventKind,
                     "','", kAuditCheckpointKind, "','", kAuditHeadKind, "')"));
  }

  std::unique_ptr<hsm::testing::KeyStoreTestEnv> env_;
  TempDir dir_;
  std::string db_path_ = dir_.path() + "/sejf.db";
  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  std::unique_ptr<SqliteStorage> storage_;
};

TEST_P(AuditAnchorTest, EachCheckpointIsAnchoredAndChainedToTheOneBefore) {
  Write(25);
  auto anchor = ReadAuditAnchor(keys(), kDefaultAuditKeyLabel);
  ASSERT_TRUE(anchor.ok()) << anchor.status();
  ASSERT_TRUE(anchor->has_value());
  EXPECT_EQ((*anchor)->sequence, 25);  // Close's checkpoint
  EXPECT_EQ((*anchor)->hash, HashOf(25));
  auto c20 = CheckpointAt(20);
  auto c25 = CheckpointAt(25);
  ASSERT_TRUE(c20.ok()) << c20.status();
  ASSERT_TRUE(c25.ok()) << c25.status();
  EXPECT_EQ(c25->format, kAuditCheckpointChained);
  EXPECT_EQ(c25->previous_sequence, 20);
  EXPECT_EQ(c25->previous_digest, AuditCheckpointDigest(*c20));
  EXPECT_EQ((*anchor)->checkpoint, AuditCheckpointDigest(*c25));
  AuditVerifyResult result = Verify();
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.head_sequence, 25);
  EXPECT_EQ(result.head_hash, HashOf(25));
  EXPECT_THAT(result.message, HasSubstr("anchored in the HSM at event 25"));
}

TEST_P(AuditAnchorTest, TruncationWithARewrittenHeadIsFoundByVerifyAndOpen) {
  Write(50);
  TruncateAfter(40);  // checkpoint 40 stays: a consistent shorter log
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_sequence, 41);
  EXPECT_THAT(result.message, HasSubstr("ends at event 40"));
  EXPECT_THAT(result.message, HasSubstr("anchor records event 50"));
  EXPECT_THAT(result.message, HasSubstr("truncated or rolled back"));

  auto log = Open();
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(log.status().message(), HasSubstr("truncated or rolled back"));
  EXPECT_THAT(log.status().message(), HasSubstr("event 50:"));
  EXPECT_THAT(log.status().message(), HasSubstr("--reanchor-audit-log"));
}

TEST_P(AuditAnchorTest, TruncationBetweenCheckpointsIsFoundToo) {
  Write(50);
  TruncateAfter(37);  // no checkpoint at 37: the head names a missing one
  EXPECT_THAT(Verify().message, HasSubstr("ends at event 37"));
  auto log = Open();
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(log.status().message(), HasSubstr("ends at event 37"));
}

TEST_P(AuditAnchorTest, AWipedLogIsFoundAndNoFreshLogIsStarted) {
  Write(12);
  Wipe();
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.events_checked, 0);
  EXPECT_THAT(result.message, HasSubstr("empty"));
  EXPECT_THAT(result.message, HasSubstr("wiped"));

  auto log = Open();
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(log.status().message(), HasSubstr("wiped"));
  // Refused before anything was written: still no head record, and again.
  EXPECT_FALSE(storage_->Get(kAuditHeadKind, kAuditHeadName)->has_value());
  EXPECT_EQ(Open().status().code(), absl::StatusCode::kDataLoss);
}

TEST_P(AuditAnchorTest, ADeletedMiddleCheckpointBreaksTheNextOnesLink) {
  Write(40);
  Sql(db_path_,
      absl::StrCat("DELETE FROM records WHERE kind = '", kAuditCheckpointKind,
                   "' AND name = '", Name(20), "'"));
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_sequence, 30);
  EXPECT_THAT(result.message,
              HasSubstr("follows checkpoint 20, which is missing"));
}

TEST_P(AuditAnchorTest, ACheckpointMovedToAnotherPlaceIsFound) {
  Write(40);
  // Checkpoint 10's row put where checkpoint 30 was, under its name.
  auto c10 = storage_->Get(kAuditCheckpointKind, Name(10));
  ASSERT_TRUE(c10.ok() && c10->has_value());
  SetRecord(db_path_, kAuditCheckpointKind, Name(30), (*c10)->data);
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_sequence, 30);
}

TEST_P(AuditAnchorTest, ACrashBetweenCommitAndAnchorWriteIsNoFalseAlarm) {
  Write(20);
  // Checkpoints 30 and 35 reach the database, their anchor writes do not.
  NoDataObjects unreachable(&keys());
  auto log = AuditLog::Open(storage_.get(), &unreachable, &clock_,
                            {.checkpoint_interval = 10});
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 15; ++i) ASSERT_TRUE((*log)->Append(Event(i)).ok());
  absl::Status closed = (*log)->Close();
  EXPECT_EQ(closed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*log)->stats().anchored_sequence, 20);
  EXPECT_EQ((*ReadAuditAnchor(keys(), kDefaultAuditKeyLabel))->sequence, 20);

  AuditVerifyResult result = Verify();
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.head_sequence, 35);
  // The next start opens normally and brings the anchor up with its
  // next checkpoint.
  Write(1);
  EXPECT_EQ((*ReadAuditAnchor(keys(), kDefaultAuditKeyLabel))->sequence, 36);
  EXPECT_TRUE(Verify().ok);
}

TEST_P(AuditAnchorTest, VerifyWhileCheckpointsAreBeingAnchoredHolds) {
  // The anchor is read before the database snapshot and written after the
  // commit, so a verify racing the writer never sees it ahead.
  auto log = Open({.checkpoint_interval = 3});
  ASSERT_TRUE(log.ok()) << log.status();
  std::atomic<bool> done{false};
  std::thread appender([&] {
    for (int i = 0; i < 120; ++i) EXPECT_TRUE((*log)->Append(Event(i)).ok());
    done = true;
  });
  int verified = 0;
  bool all_held = true;
  while ((!done || verified == 0) && all_held) {
    auto result = (*log)->Verify();
    EXPECT_TRUE(result.ok()) << result.status();
    if (result.ok()) {
      EXPECT_TRUE(result->ok) << result->message;
    }
    all_held = result.ok() && result->ok;
    ++verified;
  }
  appender.join();
  ASSERT_TRUE(all_held);
  ASSERT_TRUE((*log)->Close().ok());
  EXPECT_GE((*log)->stats().anchored_sequence, 120);
  EXPECT_TRUE(Verify().ok);
}

TEST_P(AuditAnchorTest, ExpectedHeadMustBeInTheLogWithItsHash) {
  Write(30);
  const std::string hash = HashOf(30);
  AuditVerifyResult match = Verify({.expect = std::make_pair(30, hash)});
  EXPECT_TRUE(match.ok) << match.message;
  EXPECT_THAT(match.message, HasSubstr("event 30 has the expected hash"));
  EXPECT_TRUE(Verify({.expect = std::make_pair(12, HashOf(12))}).ok);

  AuditVerifyResult wrong = Verify({.expect = std::make_pair(30, HashOf(29))});
  EXPECT_FALSE(wrong.ok);
  EXPECT_EQ(wrong.first_bad_sequence, 30);
  EXPECT_THAT(wrong.message, HasSubstr("not the expected"));

  AuditVerifyResult beyond = Verify({.expect = std::make_pair(31, hash)});
  EXPECT_FALSE(beyond.ok);
  EXPECT_THAT(beyond.message, HasSubstr("ends at event 30"));
}

TEST_P(AuditAnchorTest, AnUnanchoredLogFromBeforeAnchoringIsTrustedOnFirstUse) {
  // A log as the previous version left it: unchained checkpoints, no anchor.
  NoDataObjects old_version(&keys());
  old_version.old_version = true;
  Write(20, &old_version);
  for (int at : {10, 20}) {
    auto stored = CheckpointAt(at);
    ASSERT_TRUE(stored.ok()) << stored.status();
    AuditCheckpoint checkpoint = *std::move(stored);
    checkpoint.format = kAuditCheckpointUnchained;
    checkpoint.previous_sequence = 0;
    checkpoint.previous_digest.clear();
    auto key = keys().FindKeyByLabel(kDefaultAuditKeyLabel);
    checkpoint.signature =
        *keys().Sign(*key, hsm::SignatureScheme::kEcdsaSha256,
                     AuditCheckpointSignedData(checkpoint));
    SetRecord(db_path_, kAuditCheckpointKind, Name(at),
              EncodeAuditCheckpoint(checkpoint));
  }
  ASSERT_FALSE(ReadAuditAnchor(keys(), kDefaultAuditKeyLabel)->has_value());
  AuditVerifyResult before = Verify();
  EXPECT_TRUE(before.ok) << before.message;
  EXPECT_THAT(before.message, HasSubstr("not anchored in the HSM yet"));

  auto log = Open();
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_THAT((*log)->notice(), HasSubstr("for the first time at 20:"));
  EXPECT_THAT((*log)->notice(), HasSubstr("trust on first use"));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(Event(i)).ok());
  ASSERT_TRUE((*log)->Close().ok());
  // Old checkpoints still verify; the new one links to checkpoint 20.
  AuditVerifyResult after = Verify();
  EXPECT_TRUE(after.ok) << after.message;
  EXPECT_EQ(after.checkpoints_checked, 3);
  EXPECT_EQ((*ReadAuditAnchor(keys(), kDefaultAuditKeyLabel))->sequence, 25);
}

TEST_P(AuditAnchorTest, AChainedLogWithoutItsAnchorIsRefused) {
  NoDataObjects anchor_gone(&keys());
  anchor_gone.old_version = true;
  Write(20);
  auto log = AuditLog::Open(storage_.get(), &anchor_gone, &clock_);
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(log.status().message(), HasSubstr("the anchor was removed"));
  auto result = VerifyAuditLog(*storage_, anchor_gone, kDefaultAuditKeyLabel);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  EXPECT_THAT(result->message, HasSubstr("no audit anchor"));
}

TEST_P(AuditAnchorTest, ReanchoringAcceptsAWipedLogOnRequestAndRecordsIt) {
  Write(12);
  const std::string old_position = FormatAuditPosition(12, HashOf(12));
  Wipe();
  auto log = Open({.checkpoint_interval = 10, .reanchor = true});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_THAT((*log)->notice(), HasSubstr("re-anchored"));
  EXPECT_THAT((*log)->notice(), HasSubstr(old_position));
  auto page = (*log)->List({}, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].operation, "audit.reanchor");
  EXPECT_THAT(page->events[0].detail, HasSubstr(old_position));
  ASSERT_TRUE((*log)->Close().ok());
  // From here on it is an ordinary anchored log.
  auto again = Open();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->notice(), "");
  ASSERT_TRUE((*again)->Close().ok());
  EXPECT_TRUE(Verify().ok);
}

TEST_P(AuditAnchorTest, CheckpointsAreExportedOneJsonLineEach) {
  const std::string file = dir_.path() + "/checkpoints.jsonl";
  for (int run = 0; run < 2; ++run) {
    auto log =
        Open({.checkpoint_interval = 10, .checkpoint_export_file = file});
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 0; i < 12; ++i) ASSERT_TRUE((*log)->Append(Event(i)).ok());
    ASSERT_TRUE((*log)->Close().ok());
    EXPECT_TRUE((*log)->stats().last_export_error.ok());
  }
  auto text = ReadFileForTest(file);
  std::vector<std::string> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  // Every stored checkpoint is one line, in order: one at each Close (12,
  // 24) and those of the interval (where they fall depends on how appends
  // were grouped into commits).
  std::vector<std::int64_t> checkpoints;
  std::vector<std::string> expected;
  for (std::int64_t sequence = 1; sequence <= 24; ++sequence) {
    auto record = storage_->Get(kAuditCheckpointKind, Name(sequence));
    ASSERT_TRUE(record.ok()) << record.status();
    if (!record->has_value()) continue;
    checkpoints.push_back(sequence);
    expected.push_back(
        AuditCheckpointJson(*DecodeAuditCheckpoint((*record)->data)));
  }
  EXPECT_THAT(checkpoints, ::testing::Contains(12));
  EXPECT_THAT(checkpoints, ::testing::Contains(24));
  ASSERT_EQ(lines, expected) << text;
  ASSERT_GE(checkpoints.size(), 2u);
  EXPECT_THAT(lines.back(), HasSubstr(absl::StrCat(
                                "{\"sequence\":24,\"hash\":\"",
                                absl::BytesToHexString(HashOf(24)), "\"")));
  EXPECT_THAT(
      lines.back(),
      HasSubstr(absl::StrCat(
          "\"previous_sequence\":", checkpoints[checkpoints.size() - 2], ",")));
  // The last line's sequence:hash is an --expect for the log.
  EXPECT_TRUE(Verify({.expect = std::make_pair(24, HashOf(24))}).ok);
}

TEST_P(AuditAnchorTest, AnExportFileThatCannotBeAppendedToStopsOpen) {
  auto log = Open({.checkpoint_export_file = dir_.path() + "/missing/x.jsonl"});
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(log.status().message(), HasSubstr("missing/x.jsonl"));
}

TEST_P(AuditAnchorTest, ReanchoringRefusesALogThatDoesNotVerify) {
  Write(20);
  Sql(db_path_, absl::StrCat("DELETE FROM records WHERE kind = '",
                             kAuditEventKind, "' AND name = '", Name(5), "'"));
  auto log = Open({.checkpoint_interval = 10, .reanchor = true});
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(log.status().message(), HasSubstr("event 5 is missing"));
  // The anchor is untouched.
  EXPECT_EQ((*ReadAuditAnchor(keys(), kDefaultAuditKeyLabel))->sequence, 20);
}

INSTANTIATE_TEST_SUITE_P(
    All, AuditAnchorTest,
    ::testing::Values(
        Implementation{"Pkcs11SoftHsm2",
                       [] { return hsm::testing::MakePkcs11TestEnv(); }},
        Implementation{
            "Fake",
            []() -> absl::StatusOr<
                     std::unique_ptr<hsm::testing::KeyStoreTestEnv>> {
              return hsm::testing::MakeFakeTestEnv();
            }}),
    [](const ::testing::TestParamInfo<Implementation>& info) {
      return info.param.name;
    });

std::string Repeat(absl::string_view unit, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) absl::StrAppend(&out, unit);
  return out;
}

TEST(AuditAnchorFormatTest, ValueIsTheDocumentedTextAndRoundTrips) {
  AuditAnchor anchor{.sequence = 404,
                     .hash = std::string(32, '\xab'),
                     .checkpoint = std::string(32, '\x01')};
  const std::string text = EncodeAuditAnchor(anchor);
  EXPECT_EQ(text, absl::StrCat("sejf-audit-anchor-v1\nsequence=404\nhash=",
                               Repeat("ab", 32),
                               "\ncheckpoint=", Repeat("01", 32), "\n"));
  EXPECT_EQ(*DecodeAuditAnchor(text), anchor);
  for (const std::string& bad :
       {std::string(""), text + "x", text.substr(0, text.size() - 1),
        absl::StrCat("sejf-audit-anchor-v1\nsequence=-1\nhash=",
                     Repeat("ab", 32), "\ncheckpoint=", Repeat("01", 32), "\n"),
        absl::StrCat(
            "sejf-audit-anchor-v1\nsequence=4\nhash=", Repeat("AB", 32),
            "\ncheckpoint=", Repeat("01", 32), "\n")}) {
    EXPECT_EQ(DecodeAuditAnchor(bad).status().code(),
              absl::StatusCode::kDataLoss)
        << bad;
  }
  EXPECT_EQ(AuditAnchorLabel("sejf-audit"), "sejf-audit-anchor");
}

TEST(AuditAnchorFormatTest, PositionIsSeqColonHexHash) {
  const std::string hash(32, '\xcd');
  const std::string text = FormatAuditPosition(404, hash);
  EXPECT_EQ(text, absl::StrCat("404:", Repeat("cd", 32)));
  auto parsed = ParseAuditPosition(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->first, 404);
  EXPECT_EQ(parsed->second, hash);
  // Upper-case hex from a copy-paste is fine.
  EXPECT_TRUE(ParseAuditPosition(absl::StrCat("404:", Repeat("CD", 32))).ok());
  for (const std::string& bad :
       {std::string("404"), std::string("0:") + Repeat("cd", 32),
        std::string("x:") + Repeat("cd", 32), std::string("404:abc"),
        std::string("404:") + Repeat("zz", 32)}) {
    auto result = ParseAuditPosition(bad);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(result.status().message(), HasSubstr("SEQ:HASH"));
  }
}

TEST(AuditCheckpointFormatTest, ChainedSignedDataIsTheDocumentedText) {
  AuditCheckpoint checkpoint{.format = kAuditCheckpointChained,
                             .sequence = 2000,
                             .hash = std::string(32, '\xab'),
                             .time = absl::FromUnixMicros(42),
                             .previous_sequence = 1000,
                             .previous_digest = std::string(32, '\x02'),
                             .signature = std::string(64, '\x03'),
                             .public_key = "spki"};
  EXPECT_EQ(AuditCheckpointSignedData(checkpoint),
            absl::StrCat("sejf-audit-checkpoint-v2\nsequence=2000\nhash=",
                         Repeat("ab", 32),
                         "\ntime_us=42\nprevious_sequence=1000\n"
                         "previous_digest=",
                         Repeat("02", 32), "\n"));
  const std::string data = EncodeAuditCheckpoint(checkpoint);
  EXPECT_EQ(data.size(), 1u + 8 + 32 + 8 + 8 + 32 + 4 + 64 + 4 + 4);
  EXPECT_EQ(*DecodeAuditCheckpoint(data), checkpoint);
  // The digest is what `openssl dgst -sha256` makes of the signed data.
  TempDir dir;
  const std::string file = dir.path() + "/signed";
  {
    std::FILE* out = std::fopen(file.c_str(), "wb");
    const std::string signed_data = AuditCheckpointSignedData(checkpoint);
    std::fwrite(signed_data.data(), 1, signed_data.size(), out);
    std::fclose(out);
  }
  auto digest = hsm::testing::RunCommand("openssl dgst -sha256 -r " + file);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(digest->substr(0, 64),
            absl::BytesToHexString(AuditCheckpointDigest(checkpoint)));
}

}  // namespace
}  // namespace sejf::vault
