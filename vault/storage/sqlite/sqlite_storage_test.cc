// SQLite-specific behaviour of SqliteStorage; the Storage contract itself is
// in ../storage_contract_test.cc.
#include "vault/storage/sqlite/sqlite_storage.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vault/storage/sqlite/sqlite_connection.h"
#include "vault/storage/sqlite/sqlite_migrations.h"
#include "vault/storage/sqlite/sqlite_record_sql.h"

namespace sejf::vault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixMicros(1767225600123456);

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class SqliteStorageTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = dir_ + "/sejf.db"; }

  std::unique_ptr<SqliteStorage> Open(SqliteStorageOptions options = {}) {
    auto storage = SqliteStorage::Open(path_, clock_, options);
    EXPECT_TRUE(storage.ok()) << storage.status();
    return storage.ok() ? *std::move(storage) : nullptr;
  }

  // A separate connection, as a tool or another process would open it.
  std::unique_ptr<SqliteConnection> Raw() {
    auto connection = SqliteConnection::Open(path_, absl::Seconds(5));
    EXPECT_TRUE(connection.ok()) << connection.status();
    return connection.ok() ? *std::move(connection) : nullptr;
  }

  static void Put(Storage& storage, absl::string_view kind,
                  absl::string_view name, absl::string_view data) {
    auto txn = storage.Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok()) << txn.status();
    ASSERT_TRUE((*txn)->Insert(kind, name, data).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  ::sejf::testing::TempDir tmp_;
  std::string dir_ = tmp_.path();
  std::string path_;
  FakeClock clock_{kT0};
};

TEST_F(SqliteStorageTest, ConnectionsRunWithTheRequiredPragmas) {
  auto storage = Open({.busy_timeout = absl::Milliseconds(4321)});
  ASSERT_NE(storage, nullptr);
  auto settings = storage->ReadSettings();
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->journal_mode, "wal");
  EXPECT_EQ(settings->synchronous, 2);  // FULL
  EXPECT_EQ(settings->busy_timeout_ms, 4321);
  EXPECT_TRUE(settings->foreign_keys);
  EXPECT_TRUE(settings->secure_delete);
  EXPECT_EQ(settings->schema_version,
            static_cast<std::int64_t>(SqliteMigrations().size()));
  // WAL is recorded in the file itself (header bytes 18 and 19 are 2), so
  // every later opener uses it.
  std::string header = ReadAll(path_).substr(0, 20);
  ASSERT_EQ(header.size(), 20u);
  EXPECT_EQ(header[18], 2);
  EXPECT_EQ(header[19], 2);
}

TEST_F(SqliteStorageTest, DatabaseFilesArePrivateWhateverTheUmask) {
  mode_t old_umask = umask(0);
  auto storage = Open();
  umask(old_umask);
  ASSERT_NE(storage, nullptr);
  Put(*storage, "tokens", "acme", "x");
  EXPECT_EQ(ModeOf(path_), 0600u);
  ASSERT_TRUE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(ModeOf(path_ + "-wal"), 0600u);
  EXPECT_EQ(ModeOf(path_ + "-shm"), 0600u);
}

TEST_F(SqliteStorageTest, ExistingFileReadableByOthersIsRefused) {
  { std::ofstream(path_).put('\0'); }
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  auto storage = SqliteStorage::Open(path_, clock_);
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(storage.status().message(), HasSubstr("chmod 600 " + path_));
}

TEST_F(SqliteStorageTest, FileThatIsNotADatabaseIsDataLoss) {
  { std::ofstream(path_) << std::string(4096, 'j'); }
  ASSERT_EQ(chmod(path_.c_str(), 0600), 0);
  auto storage = SqliteStorage::Open(path_, clock_);
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kDataLoss)
      << storage.status();
  EXPECT_THAT(storage.status().message(), HasSubstr(path_));
}

TEST_F(SqliteStorageTest, MigrationsAreRecordedWithTheirTime) {
  ASSERT_NE(Open(), nullptr);
  auto raw = Raw();
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(*raw->QueryInt64("SELECT count(*) FROM schema_migrations"),
            static_cast<std::int64_t>(SqliteMigrations().size()));
  EXPECT_EQ(*raw->QueryText(
                "SELECT applied_at FROM schema_migrations WHERE version = 1"),
            "2026-01-01T00:00:00.123456Z");
}

TEST_F(SqliteStorageTest, ReopenedDatabaseKeepsEverythingAndMigratesOnce) {
  {
    auto storage = Open();
    ASSERT_NE(storage, nullptr);
    Put(*storage, "tokens", "acme", std::string("\0sealed", 7));
    auto txn = storage->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Update("tokens", "acme", 1, "sealed-2").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  clock_.Advance(absl::Hours(1));
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  auto record = storage->Get("tokens", "acme");
  ASSERT_TRUE(record.ok() && record->has_value()) << record.status();
  EXPECT_EQ((*record)->version, 2);
  EXPECT_EQ((*record)->data, "sealed-2");
  EXPECT_EQ((*record)->create_time, kT0);
  auto raw = Raw();
  EXPECT_EQ(*raw->QueryText("SELECT max(applied_at) FROM schema_migrations"),
            "2026-01-01T00:00:00.123456Z");
}

TEST_F(SqliteStorageTest, NewerSchemaIsRefusedNamingBothVersions) {
  ASSERT_NE(Open(), nullptr);
  ASSERT_TRUE(Raw()
                  ->Execute("INSERT INTO schema_migrations VALUES "
                            "(97, '2030-01-01T00:00:00Z')")
                  .ok());
  auto storage = SqliteStorage::Open(path_, clock_);
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(storage.status().message(), HasSubstr("schema version 97"));
  EXPECT_THAT(storage.status().message(),
              HasSubstr(absl::StrCat("schema version ",
                                     SqliteMigrations().size(), ")")));
}

// secure_delete zeroes freed bytes in the database pages, the WAL scrub
// removes the older page images from the log. Neither file may keep them.
TEST_F(SqliteStorageTest, DeletedAndOverwrittenDataLeaveNoTraceInTheFiles) {
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  // One small record sharing a page with neighbours, one spilling into
  // overflow pages.
  const std::string small = "CANARY-small-5b1e0c-deleted";
  const std::string overwritten = "CANARY-old-93d2aa-overwritten";
  std::string large;
  while (large.size() < 20000) large += "CANARY-large-77c0f1-";
  Put(*storage, "tokens", "a-neighbour", "neighbour data");
  Put(*storage, "tokens", "b-small", small);
  Put(*storage, "tokens", "c-large", large);
  Put(*storage, "tokens", "d-rotated", overwritten);
  Put(*storage, "tokens", "e-neighbour", "neighbour data");
  // The test can see data when it is there.
  std::string files = ReadAll(path_) + ReadAll(path_ + "-wal");
  ASSERT_TRUE(Contains(files, small));
  ASSERT_TRUE(Contains(files, overwritten));

  {
    auto txn = storage->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Delete("tokens", "b-small", 1).ok());
    ASSERT_TRUE((*txn)->Delete("tokens", "c-large", 1).ok());
    ASSERT_TRUE((*txn)->Update("tokens", "d-rotated", 1, "new token").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  // While the storage is still open (closing would checkpoint anyway).
  const std::string db = ReadAll(path_);
  const std::string wal = ReadAll(path_ + "-wal");
  EXPECT_FALSE(Contains(db, "CANARY")) << "deleted data in the database file";
  EXPECT_FALSE(Contains(wal, "CANARY")) << "deleted data in the WAL";
  EXPECT_TRUE(Contains(db + wal, "neighbour data"));
  EXPECT_TRUE(Contains(db + wal, "new token"));
  EXPECT_EQ((*storage->Get("tokens", "d-rotated"))->data, "new token");
}

// A reader of an older snapshot keeps the old page images in use; the commit
// does not wait for it, and the scrub completes when the reader ends.
TEST_F(SqliteStorageTest, DeletedDataIsScrubbedOnceAnOlderReaderEnds) {
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  const std::string canary = "CANARY-4c2d19-held-by-reader";
  Put(*storage, "tokens", "a", "neighbour data");
  Put(*storage, "tokens", "b", canary);
  auto reader = storage->Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(reader.ok());
  ASSERT_EQ((*(*reader)->Get("tokens", "b"))->data, canary);

  absl::Time start = absl::Now();
  {
    auto txn = storage->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Delete("tokens", "b", 1).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "commit waited";
  // The reader still sees its snapshot.
  EXPECT_EQ((*(*reader)->Get("tokens", "b"))->data, canary);
  ASSERT_TRUE((*reader)->Commit().ok());

  const std::string files = ReadAll(path_) + ReadAll(path_ + "-wal");
  EXPECT_FALSE(Contains(files, "CANARY"));
  EXPECT_TRUE(Contains(files, "neighbour data"));
}

TEST_F(SqliteStorageTest, TwoStoragesOnOneFileSeeEachOthersCommits) {
  auto first = Open();
  auto second = Open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  Put(*first, "tokens", "from-first", "1");
  Put(*second, "tokens", "from-second", "2");
  EXPECT_TRUE(second->Get("tokens", "from-first")->has_value());
  EXPECT_TRUE(first->Get("tokens", "from-second")->has_value());

  // An update through one, then a stale update through the other: ABORTED.
  auto txn = first->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE((*txn)->Update("tokens", "from-second", 1, "1b").ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  auto stale = second->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ((*stale)->Update("tokens", "from-second", 1, "2b").status().code(),
            absl::StatusCode::kAborted);
}

TEST_F(SqliteStorageTest, WriterInAnotherStorageMakesBeginWaitThenUnavailable) {
  auto first = Open();
  auto second = Open({.busy_timeout = absl::Milliseconds(300)});
  auto holding = first->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(holding.ok());
  absl::Time start = absl::Now();
  auto blocked = second->Begin(TransactionMode::kReadWrite);
  absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kUnavailable)
      << blocked.status();
  EXPECT_THAT(blocked.status().message(), HasSubstr("retry"));
  EXPECT_GE(waited, absl::Milliseconds(250));
  // Readers are not affected, and the writer proceeds once the first ends.
  EXPECT_TRUE(second->Get("tokens", "x").ok());
  holding->reset();
  EXPECT_TRUE(second->Begin(TransactionMode::kReadWrite).ok());
}

TEST_F(SqliteStorageTest, SecondWriterInProcessGivesUpAfterBusyTimeout) {
  auto storage = Open({.busy_timeout = absl::Milliseconds(200)});
  auto holding = storage->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(holding.ok());
  auto blocked = storage->Begin(TransactionMode::kReadWrite);
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(blocked.status().message(), HasSubstr("write transaction"));
}

TEST_F(SqliteStorageTest, ExhaustedPoolIsUnavailableNotADeadlock) {
  auto storage =
      Open({.max_connections = 2, .busy_timeout = absl::Milliseconds(200)});
  auto a = storage->Begin(TransactionMode::kReadOnly);
  auto b = storage->Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = storage->Begin(TransactionMode::kReadOnly);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(c.status().message(), HasSubstr("2 database connections"));
  ASSERT_TRUE((*a)->Commit().ok());  // gives its connection back
  EXPECT_TRUE(storage->Begin(TransactionMode::kReadOnly).ok());
}

TEST_F(SqliteStorageTest, RecordStatementsSearchThePrimaryKey) {
  ASSERT_NE(Open(), nullptr);
  auto raw = Raw();
  for (absl::string_view sql : {kSqlSelectRecord, kSqlUpdateRecord,
                                kSqlDeleteRecord, kSqlListRecords}) {
    SCOPED_TRACE(sql);
    auto stmt = SqliteStatement::Prepare(
        raw->db(), absl::StrCat("EXPLAIN QUERY PLAN ", sql));
    ASSERT_TRUE(stmt.ok()) << stmt.status();
    SqliteStatement::Run run(*stmt);
    std::string plan;
    while (*run.Step()) absl::StrAppend(&plan, run.ColumnText(3), "\n");
    EXPECT_THAT(plan, HasSubstr("USING PRIMARY KEY (kind=? AND name"));
    EXPECT_THAT(plan, Not(HasSubstr("SCAN")));
    EXPECT_THAT(plan, Not(HasSubstr("TEMP B-TREE")));  // no sort for List
  }
}

// Another OS process (the sqlite3 shell) reads and writes the same file
// while this storage has it open.
TEST_F(SqliteStorageTest, AnotherProcessSharesTheDatabase) {
  if (std::system("command -v sqlite3 >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "the sqlite3 shell is not installed";
  }
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  Put(*storage, "tokens", "from-sejf", "payload");
  auto shell = [&](const std::string& sql) {
    std::string command =
        absl::StrCat("sqlite3 -cmd '.timeout 5000' ", path_, " \"", sql, "\"");
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return out;
    char buf[256];
    while (size_t n = fread(buf, 1, sizeof(buf), pipe)) out.append(buf, n);
    EXPECT_EQ(pclose(pipe), 0) << command;
    return out;
  };
  EXPECT_EQ(shell("SELECT version, hex(data) FROM records "
                  "WHERE kind = 'tokens' AND name = 'from-sejf'"),
            "1|7061796C6F6164\n");
  shell(
      "INSERT INTO records VALUES "
      "('tokens', 'from-shell', 1, x'00ff', 0, 0)");
  auto record = storage->Get("tokens", "from-shell");
  ASSERT_TRUE(record.ok() && record->has_value()) << record.status();
  EXPECT_EQ((*record)->data, std::string("\0\xff", 2));
}

// The database file alone, as a crash that took an unlinked log would leave
// it: how many records of `kind` it holds.
std::int64_t CountInDatabaseFileAlone(const std::string& db,
                                      const std::string& copy,
                                      const std::string& kind) {
  std::filesystem::copy_file(db, copy);
  auto connection = SqliteConnection::Open(copy, absl::Seconds(1));
  EXPECT_TRUE(connection.ok()) << connection.status();
  if (!connection.ok()) return -1;
  auto count =
      (*connection)
          ->QueryInt64(absl::StrCat(
              "SELECT count(*) FROM records WHERE kind = '", kind, "'"));
  EXPECT_TRUE(count.ok()) << count.status();
  return count.value_or(-1);
}

TEST_F(SqliteStorageTest, CommitIntoARemovedWalIsSavedInTheDatabaseFile) {
  std::vector<std::string> alerts;
  SqliteStorageOptions options;
  options.on_wal_removed = [&alerts](absl::string_view message) {
    alerts.emplace_back(message);
  };
  auto storage = Open(options);
  ASSERT_NE(storage, nullptr);
  Put(*storage, "k", "before", "1");

  // A transaction running when someone deletes the log commits into the
  // unlinked file; the commit is acknowledged only once it is saved.
  auto txn = storage->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok()) << txn.status();
  ASSERT_TRUE((*txn)->Insert("k", "during", "2").ok());
  ASSERT_EQ(unlink((path_ + "-wal").c_str()), 0);
  ASSERT_TRUE((*txn)->Commit().ok());
  txn->reset();

  EXPECT_EQ(CountInDatabaseFileAlone(path_, dir_ + "/copy.db", "k"), 2);
  EXPECT_EQ(storage->wal_removals_found(), 1);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_THAT(alerts[0], HasSubstr("sejf.db-wal was removed"));

  // Service goes on, on a new log, without reopening the storage.
  Put(*storage, "k", "later", "3");
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(storage->wal_removals_found(), 1);
  storage.reset();
  storage = Open();
  ASSERT_NE(storage, nullptr);
  auto read = storage->Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(read.ok()) << read.status();
  auto page = (*read)->List("k", {});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records.size(), 3u);
}

TEST_F(SqliteStorageTest, TransactionAfterTheWalWasRemovedRunsOnANewLog) {
  int alerts = 0;
  SqliteStorageOptions options;
  options.on_wal_removed = [&alerts](absl::string_view) { ++alerts; };
  auto storage = Open(options);
  ASSERT_NE(storage, nullptr);
  Put(*storage, "k", "before", "1");
  ASSERT_EQ(unlink((path_ + "-wal").c_str()), 0);

  // The next transaction finds it before it starts: what the old log held
  // is saved, and the new transaction runs on a fresh one.
  Put(*storage, "k", "after", "2");
  EXPECT_EQ(alerts, 1);
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(CountInDatabaseFileAlone(path_, dir_ + "/copy.db", "k"), 1);
  auto read = storage->Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(read.ok()) << read.status();
  auto page = (*read)->List("k", {});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records.size(), 2u);
}

TEST_F(SqliteStorageTest, ConnectionToAnUnwritableFileIsRefusedNotReadOnly) {
  ASSERT_NE(Open(), nullptr);
  // Root ignores file modes; the immutable flag holds for root too.
  if (system(absl::StrCat("chattr +i ", path_, " 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << "chattr +i is not supported here";
  }
  auto connection = SqliteConnection::Open(path_, absl::Seconds(1));
  system(absl::StrCat("chattr -i ", path_).c_str());
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(connection.status().message(), HasSubstr("for writing"));
}

TEST_F(SqliteStorageTest, NoConnectionOpensOnANewLogWhileAnOldOneIsInUse) {
  SqliteStorageOptions options;
  options.busy_timeout = absl::Milliseconds(200);
  auto storage = Open(options);
  ASSERT_NE(storage, nullptr);
  Put(*storage, "k", "before", "1");
  auto reader = storage->Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE((*reader)->Get("k", "before").ok());  // its snapshot is taken
  ASSERT_EQ(unlink((path_ + "-wal").c_str()), 0);

  // The reader's connection still uses the old log: a connection opened
  // now would start a new log beside the old one's index and not see the
  // same pages, so none opens.
  auto writer = storage->Begin(TransactionMode::kReadWrite);
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(writer.status().message(), HasSubstr("-wal was removed"));

  // Once the reader is done, its connection finds the removal, saves the
  // old log and makes way for a new one.
  reader->reset();
  Put(*storage, "k", "after", "2");
  EXPECT_EQ(storage->wal_removals_found(), 1);
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(CountInDatabaseFileAlone(path_, dir_ + "/copy.db", "k"), 1);
}

TEST_F(SqliteStorageTest, RemovedWalIsSavedAtOnceAndOldConnectionsDrain) {
  SqliteStorageOptions options;
  options.busy_timeout = absl::Milliseconds(200);
  auto storage = Open(options);
  ASSERT_NE(storage, nullptr);
  Put(*storage, "k", "before", "1");
  // Two connections: one stays in a read transaction, one goes back idle.
  auto reader = storage->Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE((*reader)->Get("k", "before").ok());
  {
    auto other = storage->Begin(TransactionMode::kReadOnly);
    ASSERT_TRUE(other.ok()) << other.status();
    ASSERT_TRUE((*other)->Get("k", "before").ok());
  }
  ASSERT_EQ(unlink((path_ + "-wal").c_str()), 0);

  // The idle connection finds the removal and saves the old log at once
  // (the reader of the newest snapshot does not hold that up); the new
  // transaction then waits for the reader's old connection to close.
  auto writer = storage->Begin(TransactionMode::kReadWrite);
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(writer.status().message(), HasSubstr("being replaced"));
  EXPECT_EQ(storage->wal_removals_found(), 1);
  EXPECT_EQ(CountInDatabaseFileAlone(path_, dir_ + "/copy.db", "k"), 1);

  reader->reset();
  Put(*storage, "k", "after", "2");
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(storage->wal_removals_found(), 1);
}

}  // namespace
}  // namespace sejf::vault
