// vault::VaultBackup over a real SQLite storage and a data directory laid
// out as `sejfd --dev` lays it out (the token directory's files stand in for
// SoftHSM2's; the e2e test tests/backup_e2e_test.cc copies a real token).
#include "vault/backup/vault_backup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/testing/temp_dir.h"
#include "hsm/testing/fake_key_store.h"

namespace sejf::vault {
namespace {

using ::sejf::testing::TempDir;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// Names in `dir`, "." and ".." left out.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class VaultBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = temp_.Path("data");
    ASSERT_TRUE(EnsureDirectory(data_, 0700, true).ok());
    ASSERT_TRUE(EnsureDirectory(data_ + "/tokens", 0700, true).ok());
    ASSERT_TRUE(EnsureDirectory(data_ + "/tokens/uuid", 0700, true).ok());
    ASSERT_TRUE(
        WriteFileAtomically(data_ + "/tokens/uuid/a.object", "obj", 0600).ok());
    ASSERT_TRUE(WriteFileAtomically(data_ + "/hsm-pin", "pin", 0600).ok());
    ASSERT_TRUE(EnsureDirectory(data_ + "/tls", 0700, true).ok());
    ASSERT_TRUE(WriteFileAtomically(data_ + "/tls/ca.pem", "ca", 0644).ok());
    ASSERT_TRUE(WriteFileAtomically(data_ + "/tls/ca.key", "key", 0600).ok());
    auto storage = SqliteStorage::Open(data_ + "/sejf.db", SystemClock::Get());
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
    backup_ =
        VaultBackup::Embedded(storage_.get(), &fenced_,
                              {.data_dir = data_, .copied_entries = {"tls"}});
  }

  void Put(const std::string& name) {
    auto txn = storage_->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok()) << txn.status();
    ASSERT_TRUE((*txn)->Insert("k", name, "v").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  // The names of kind "k" in the database at `path`.
  std::vector<std::string> NamesIn(const std::string& path) {
    auto copy = SqliteStorage::Open(path, SystemClock::Get());
    EXPECT_TRUE(copy.ok()) << copy.status();
    if (!copy.ok()) return {};
    std::vector<std::string> names;
    ListOptions options{.limit = kMaxListLimit};
    for (;;) {
      auto page = (*copy)->List("k", options);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return names;
      for (const Record& r : page->records) names.push_back(r.name);
      if (!page->next_start_after) return names;
      options.start_after = *page->next_start_after;
    }
  }

  TempDir temp_;
  std::string data_;
  hsm::testing::FakeKeyStore fake_;
  hsm::WriteFencedKeyStore fenced_{&fake_};
  std::unique_ptr<SqliteStorage> storage_;
  std::unique_ptr<VaultBackup> backup_;
};

TEST_F(VaultBackupTest, CopiesADataDirectory) {
  Put("one");
  Put("two");
  const std::string dir = temp_.Path("backup");
  absl::StatusOr<VaultBackupReport> report = backup_->BackupTo(dir);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->dir, dir);
  EXPECT_EQ(report->hsm_files, 1);
  EXPECT_GT(report->database_bytes, 0);
  EXPECT_EQ(Entries(dir),
            (std::vector<std::string>{"hsm-pin", "sejf.db", "softhsm2.conf",
                                      "tls", "tokens"}));
  EXPECT_EQ(ModeOf(dir), 0700);
  EXPECT_EQ(ModeOf(dir + "/sejf.db"), 0600);
  EXPECT_EQ(ModeOf(dir + "/hsm-pin"), 0600);
  EXPECT_EQ(ModeOf(dir + "/tls/ca.pem"), 0644);
  EXPECT_EQ(ModeOf(dir + "/tls/ca.key"), 0600);
  EXPECT_EQ(*ReadFile(dir + "/tokens/uuid/a.object"), "obj");
  EXPECT_EQ(*ReadFile(dir + "/tls/ca.key"), "key");
  // SoftHSM2 of the copy reads the copy's tokens, not the original's.
  absl::StatusOr<std::string> conf = ReadFile(dir + "/softhsm2.conf");
  ASSERT_TRUE(conf.ok());
  EXPECT_NE(conf->find("directories.tokendir = " + dir + "/tokens\n"),
            std::string::npos)
      << *conf;
  EXPECT_EQ(NamesIn(dir + "/sejf.db"),
            (std::vector<std::string>{"one", "two"}));
  // Nothing but the backup beside it.
  EXPECT_EQ(Entries(temp_.path()),
            (std::vector<std::string>{"backup", "data"}));
}

TEST_F(VaultBackupTest, AcceptsAnEmptyDirectoryAndMakesItPrivate) {
  const std::string dir = temp_.Path("empty");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  absl::StatusOr<VaultBackupReport> report = backup_->BackupTo(dir + "/");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->dir, dir);
  EXPECT_EQ(ModeOf(dir), 0700);
  EXPECT_TRUE(PathExists(dir + "/sejf.db"));
}

TEST_F(VaultBackupTest, WritesDuringTheBackupAreEitherInTheCopyOrAfterIt) {
  for (int i = 0; i < 50; ++i) Put(absl::StrCat("before-", 1000 + i));
  std::atomic<bool> stop = false;
  std::atomic<int> written = 0;
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      auto txn = storage_->Begin(TransactionMode::kReadWrite);
      ASSERT_TRUE(txn.ok()) << txn.status();
      ASSERT_TRUE(
          (*txn)->Insert("k", absl::StrCat("during-", 100000 + i), "v").ok());
      ASSERT_TRUE((*txn)->Commit().ok());
      written.store(i + 1);
    }
  });
  while (written.load() < 5) std::this_thread::yield();
  const int acknowledged = written.load();
  absl::StatusOr<VaultBackupReport> report =
      backup_->BackupTo(temp_.Path("backup"));
  stop.store(true);
  writer.join();
  ASSERT_TRUE(report.ok()) << report.status();
  std::vector<std::string> names = NamesIn(temp_.Path("backup") + "/sejf.db");
  // Every write acknowledged before the backup began; the ones during it
  // form a prefix (one commit's state, no holes).
  int during = 0;
  for (const std::string& name : names) {
    if (name.rfind("during-", 0) == 0) {
      EXPECT_EQ(name, absl::StrCat("during-", 100000 + during));
      ++during;
    }
  }
  EXPECT_EQ(names.size() - during, 50u);
  EXPECT_GE(during, acknowledged);
}

TEST_F(VaultBackupTest, ASnapshotIsTheDatabaseWhenItWasTakenAndBlocksNoWriter) {
  Put("before");
  absl::StatusOr<SqliteStorage::Snapshot> snapshot = storage_->TakeSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  Put("after");  // commits while the snapshot is open
  const std::string copy = temp_.Path("snapshot.db");
  absl::StatusOr<SqliteBackupResult> copied = snapshot->CopyTo(copy);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(ModeOf(copy), 0600);
  EXPECT_EQ(NamesIn(copy), (std::vector<std::string>{"before"}));
  // A file already there is never overwritten.
  EXPECT_EQ(snapshot->CopyTo(copy).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(NamesIn(copy), (std::vector<std::string>{"before"}));
}

TEST_F(VaultBackupTest, RefusesBadTargetsAndLeavesNothingBehind) {
  struct Case {
    std::string dir;
    absl::StatusCode code;
    std::string says;
  };
  ASSERT_TRUE(WriteFileAtomically(temp_.Path("file"), "x", 0600).ok());
  ASSERT_EQ(mkdir(temp_.Path("full").c_str(), 0700), 0);
  ASSERT_TRUE(WriteFileAtomically(temp_.Path("full/x"), "x", 0600).ok());
  const Case cases[] = {
      {"", absl::StatusCode::kInvalidArgument, "must be set"},
      {"backup", absl::StatusCode::kInvalidArgument, "absolute path"},
      {"./backup", absl::StatusCode::kInvalidArgument, "absolute path"},
      {data_, absl::StatusCode::kInvalidArgument, "inside the data directory"},
      {data_ + "/../data/b", absl::StatusCode::kInvalidArgument,
       "inside the data directory"},
      {temp_.Path("full"), absl::StatusCode::kFailedPrecondition,
       "is not empty"},
      {temp_.Path("file"), absl::StatusCode::kFailedPrecondition,
       "is not a directory"},
      {temp_.Path("missing/backup"), absl::StatusCode::kFailedPrecondition,
       "does not exist"},
      {temp_.Path("file/backup"), absl::StatusCode::kFailedPrecondition,
       "Not a directory"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<VaultBackupReport> report = backup_->BackupTo(c.dir);
    EXPECT_EQ(report.status().code(), c.code)
        << c.dir << ": " << report.status();
    EXPECT_NE(report.status().message().find(c.says), std::string::npos)
        << c.dir << ": " << report.status();
  }
  EXPECT_EQ(Entries(temp_.path()),
            (std::vector<std::string>{"data", "file", "full"}));
  EXPECT_EQ(Entries(temp_.Path("full")), (std::vector<std::string>{"x"}));
}

TEST_F(VaultBackupTest, AFailureHalfWayLeavesNothingBehind) {
  // A copied entry that is missing fails after the database was copied.
  std::unique_ptr<VaultBackup> backup = VaultBackup::Embedded(
      storage_.get(), &fenced_,
      {.data_dir = data_, .copied_entries = {"tls", "missing"}});
  absl::StatusOr<VaultBackupReport> report =
      backup->BackupTo(temp_.Path("backup"));
  EXPECT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("missing"), std::string::npos)
      << report.status();
  EXPECT_EQ(Entries(temp_.path()), (std::vector<std::string>{"data"}));
}

TEST_F(VaultBackupTest, HsmWritesGoOnAfterTheBackup) {
  // The copy is not held up by a write that finished; one running in the
  // HSM is waited for (write_fenced_key_store_test.cc).
  ASSERT_TRUE(fenced_.WriteDataObject("sejf-anchor", "1").ok());
  ASSERT_TRUE(backup_->BackupTo(temp_.Path("backup")).ok());
  EXPECT_TRUE(fenced_.WriteDataObject("sejf-anchor", "2").ok());
}

TEST(VaultBackupRefusingTest, SaysWhy) {
  std::unique_ptr<VaultBackup> backup =
      VaultBackup::Refusing("the vault is in PostgreSQL; see docs/backup.md");
  TempDir temp;
  absl::StatusOr<VaultBackupReport> report =
      backup->BackupTo(temp.Path("backup"));
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(report.status().message(),
            "the vault is in PostgreSQL; see docs/backup.md");
  EXPECT_FALSE(PathExists(temp.Path("backup")));
}

}  // namespace
}  // namespace sejf::vault
