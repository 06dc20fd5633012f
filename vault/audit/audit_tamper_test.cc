// AuditLog on a real SQLite file: rows edited, deleted or forged behind the
// log's back (with the sqlite3 API, as an attacker with file access would)
// are found by Verify; checkpoints made by SoftHSM verify with the openssl
// command line; concurrent appenders get a dense, verifiable chain.
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "hsm/signatures.h"
#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/key_store_test_env.h"
#include "hsm/testing/softhsm_testing.h"
#include "vault/audit/audit_log.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::vault {
namespace {

using ::sejf::hsm::testing::RunCommand;
using ::sejf::hsm::testing::TempDir;

// Direct access to the records table of the database file.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDatabase() { sqlite3_close(db_); }

  std::string Get(absl::string_view kind, const std::string& name) {
    sqlite3_stmt* stmt = Prepare(
        "SELECT data FROM records WHERE kind = ?1 AND name = ?2", kind, name);
    std::string data;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      data.assign(static_cast<const char*>(sqlite3_column_blob(stmt, 0)),
                  sqlite3_column_bytes(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return data;
  }
  void Set(absl::string_view kind, const std::string& name,
           const std::string& data) {
    sqlite3_stmt* stmt =
        Prepare("UPDATE records SET data = ?3 WHERE kind = ?1 AND name = ?2",
                kind, name);
    sqlite3_bind_blob(stmt, 3, data.data(), static_cast<int>(data.size()),
                      SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    EXPECT_EQ(sqlite3_changes(db_), 1);
    sqlite3_finalize(stmt);
  }
  void Delete(absl::string_view kind, const std::string& name) {
    sqlite3_stmt* stmt = Prepare(
        "DELETE FROM records WHERE kind = ?1 AND name = ?2", kind, name);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    EXPECT_EQ(sqlite3_changes(db_), 1);
    sqlite3_finalize(stmt);
  }

 private:
  sqlite3_stmt* Prepare(const char* sql, absl::string_view kind,
                        const std::string& name) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
    sqlite3_bind_text(stmt, 1, kind.data(), static_cast<int>(kind.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, name.data(), static_cast<int>(name.size()),
                      SQLITE_TRANSIENT);
    return stmt;
  }

  sqlite3* db_ = nullptr;
};

AuditEvent Event(int i) {
  return AuditEvent{.request_id = absl::StrCat("req-", i),
                    .identity = i % 2 == 0 ? "alice" : "bobby",
                    .operation = "keys.read",
                    .method = "/sejf.v1.KeyCustody/GetKey",
                    .resource = "keys/acme-auth",
                    .outcome = "OK"};
}

class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto storage = SqliteStorage::Open(db_path_, clock_);
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
  }

  // A log of 20 events, closed (so checkpoint 20 covers them all).
  void WriteTwentyEvents() {
    auto log = AuditLog::Open(storage_.get(), &keys_, &clock_);
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 1; i <= 20; ++i) ASSERT_TRUE((*log)->Append(Event(i)).ok());
    ASSERT_TRUE((*log)->Close().ok());
  }

  AuditVerifyResult Verify() {
    auto result = VerifyAuditLog(*storage_, keys_, kDefaultAuditKeyLabel);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AuditVerifyResult{};
  }

  TempDir dir_;
  std::string db_path_ = dir_.path() + "/sejf.db";
  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  hsm::testing::FakeKeyStore keys_;
  std::unique_ptr<SqliteStorage> storage_;
};

TEST_F(AuditTamperTest, UntouchedLogVerifies) {
  WriteTwentyEvents();
  AuditVerifyResult result = Verify();
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.events_checked, 20);
  EXPECT_EQ(result.checkpoints_checked, 1);
}

TEST_F(AuditTamperTest, AnEditedIdentityIsNamedBySequenceNumber) {
  WriteTwentyEvents();
  RawDatabase db(db_path_);
  std::string row = db.Get(kAuditEventKind, AuditSequenceName(7));
  ASSERT_TRUE(absl::StrContains(row, "bobby"));
  db.Set(kAuditEventKind, AuditSequenceName(7),
         absl::StrReplaceAll(row, {{"bobby", "alice"}}));
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_sequence, 7);
  EXPECT_EQ(result.events_checked, 6);
  EXPECT_TRUE(absl::StrContains(result.message, "event 7")) << result.message;
}

TEST_F(AuditTamperTest, HistoryRewrittenWithFreshHashesFailsAtTheCheckpoint) {
  WriteTwentyEvents();
  RawDatabase db(db_path_);
  // The attacker edits event 7 and recomputes every later hash, and the
  // head; only the HSM signature of checkpoint 20 stands in the way.
  std::string hash =
      DecodeAuditEventRow(db.Get(kAuditEventKind, AuditSequenceName(6)))
          ->event.hash;
  for (int n = 7; n <= 20; ++n) {
    auto row =
        DecodeAuditEventRow(db.Get(kAuditEventKind, AuditSequenceName(n)));
    ASSERT_TRUE(row.ok());
    AuditEvent event = row->event;
    if (n == 7) event.identity = "alice";
    hash = ChainAuditHash(hash, EncodeCanonicalAuditEvent(event));
    event.hash = hash;
    db.Set(kAuditEventKind, AuditSequenceName(n), EncodeAuditEventRow(event));
  }
  db.Set(kAuditHeadKind, std::string(kAuditHeadName),
         EncodeAuditHead({.sequence = 20, .hash = hash}));
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_sequence, 20);
  EXPECT_TRUE(absl::StrContains(result.message, "rewritten")) << result.message;
}

TEST_F(AuditTamperTest, ADeletedMiddleRowIsNamed) {
  WriteTwentyEvents();
  RawDatabase(db_path_).Delete(kAuditEventKind, AuditSequenceName(12));
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_sequence, 12);
  EXPECT_TRUE(absl::StrContains(result.message, "event 12 is missing"))
      << result.message;
}

TEST_F(AuditTamperTest, ACutOffTailIsFoundThroughItsCheckpoint) {
  WriteTwentyEvents();
  RawDatabase db(db_path_);
  db.Delete(kAuditEventKind, AuditSequenceName(20));
  db.Delete(kAuditEventKind, AuditSequenceName(19));
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_sequence, 19);
  EXPECT_EQ(result.events_checked, 18);
}

TEST_F(AuditTamperTest, AnAlteredCheckpointSignatureFailsVerify) {
  WriteTwentyEvents();
  RawDatabase db(db_path_);
  auto checkpoint = DecodeAuditCheckpoint(
      db.Get(kAuditCheckpointKind, AuditSequenceName(20)));
  ASSERT_TRUE(checkpoint.ok());
  checkpoint->signature[10] ^= 0x01;
  db.Set(kAuditCheckpointKind, AuditSequenceName(20),
         EncodeAuditCheckpoint(*checkpoint));
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_sequence, 20);
  EXPECT_TRUE(absl::StrContains(result.message, "signature")) << result.message;
}

TEST_F(AuditTamperTest, ACheckpointSignedByAnotherKeyFailsVerify) {
  WriteTwentyEvents();
  RawDatabase db(db_path_);
  auto checkpoint = DecodeAuditCheckpoint(
      db.Get(kAuditCheckpointKind, AuditSequenceName(20)));
  ASSERT_TRUE(checkpoint.ok());
  // A forger's own key: a valid signature, but not by the HSM audit key.
  hsm::testing::FakeKeyStore forger;
  auto key = forger.GenerateKeyPair("forged", hsm::KeyAlgorithm::kEcP256);
  checkpoint->public_key = *forger.PublicKey(*key);
  checkpoint->signature = *forger.Sign(*key, hsm::SignatureScheme::kEcdsaSha256,
                                       AuditCheckpointSignedData(*checkpoint));
  db.Set(kAuditCheckpointKind, AuditSequenceName(20),
         EncodeAuditCheckpoint(*checkpoint));
  AuditVerifyResult result = Verify();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_sequence, 20);
  EXPECT_TRUE(absl::StrContains(result.message, "not the HSM audit key"))
      << result.message;
}

TEST_F(AuditTamperTest, OpenRefusesALogWhoseHeadEventWasEdited) {
  WriteTwentyEvents();
  RawDatabase db(db_path_);
  std::string row = db.Get(kAuditEventKind, AuditSequenceName(20));
  db.Set(kAuditEventKind, AuditSequenceName(20),
         absl::StrReplaceAll(row, {{"alice", "mallo"}}));
  auto log = AuditLog::Open(storage_.get(), &keys_, &clock_);
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(log.status().message(), "event 20"))
      << log.status();
}

TEST_F(AuditTamperTest, EightThreadsGetUniqueDenseSequenceNumbers) {
  auto log = AuditLog::Open(storage_.get(), &keys_, &clock_,
                            {.checkpoint_interval = 100});
  ASSERT_TRUE(log.ok()) << log.status();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  std::vector<std::vector<std::int64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto sequence = (*log)->Append(Event(i));
        got[t].push_back(sequence.ok() ? *sequence : -1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE((*log)->Close().ok());
  std::vector<std::int64_t> all;
  for (const auto& v : got) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i], static_cast<std::int64_t>(i) + 1);
  }
  AuditVerifyResult result = Verify();
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.events_checked, kThreads * kPerThread);
  EXPECT_GE(result.checkpoints_checked, 1);
}

// The signing path on a real PKCS#11 token (SoftHSM2), checked by openssl.
TEST(AuditSoftHsmTest, CheckpointsVerifyWithOpensslAcrossReopen) {
  auto env = hsm::testing::MakePkcs11TestEnv();
  ASSERT_TRUE(env.ok()) << env.status();
  hsm::KeyStore& keys = (*env)->store();
  TempDir dir;
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  auto storage = SqliteStorage::Open(dir.path() + "/sejf.db", clock);
  ASSERT_TRUE(storage.ok()) << storage.status();

  std::string public_key;
  for (int run = 0; run < 2; ++run) {
    auto log = AuditLog::Open(storage->get(), &keys, &clock);
    ASSERT_TRUE(log.ok()) << log.status();
    if (run == 0) public_key = (*log)->public_key();
    EXPECT_EQ((*log)->public_key(), public_key) << "the key is found again";
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*log)->Append(Event(i)).ok());
    ASSERT_TRUE((*log)->Close().ok());
    auto result = (*log)->Verify();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->ok) << result->message;
    EXPECT_EQ(result->checkpoints_checked, run + 1);
  }

  // Recompute the chain with openssl alone.
  auto rows = (*storage)->List(kAuditEventKind, {.limit = kMaxListLimit});
  ASSERT_EQ(rows->records.size(), 6u);
  std::string hash = AuditGenesisHash();
  for (const Record& record : rows->records) {
    auto row = DecodeAuditEventRow(record.data);
    std::ofstream(dir.path() + "/chain", std::ios::binary)
        << hash << row->canonical;
    auto out =
        RunCommand("openssl dgst -sha256 -binary " + dir.path() + "/chain > " +
                   dir.path() + "/hash && cat " + dir.path() + "/hash");
    ASSERT_TRUE(out.ok()) << out.status();
    hash = *out;
    EXPECT_EQ(hash, row->event.hash);
  }

  auto checkpoints =
      (*storage)->List(kAuditCheckpointKind, {.limit = kMaxListLimit});
  ASSERT_EQ(checkpoints->records.size(), 2u);
  for (const Record& record : checkpoints->records) {
    auto checkpoint = DecodeAuditCheckpoint(record.data);
    ASSERT_TRUE(checkpoint.ok());
    auto der = hsm::EcdsaRawToDer(checkpoint->signature);
    ASSERT_TRUE(der.ok());
    const std::string base = dir.path() + "/cp" + record.name;
    std::ofstream(base + ".data", std::ios::binary)
        << AuditCheckpointSignedData(*checkpoint);
    std::ofstream(base + ".sig", std::ios::binary) << *der;
    std::ofstream(base + ".spki", std::ios::binary) << checkpoint->public_key;
    auto out = RunCommand(absl::StrCat(
        "openssl pkey -pubin -inform DER -in ", base, ".spki -out ", base,
        ".pem && openssl dgst -sha256 -verify ", base, ".pem -signature ", base,
        ".sig ", base, ".data"));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_TRUE(absl::StrContains(*out, "Verified OK")) << *out;
  }
  // The last checkpoint covers the last event's hash.
  EXPECT_EQ(DecodeAuditCheckpoint(checkpoints->records.back().data)->hash,
            hash);
}

}  // namespace
}  // namespace sejf::vault
