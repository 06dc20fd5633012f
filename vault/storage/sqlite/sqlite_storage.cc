#include "vault/storage/sqlite/sqlite_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "vault/storage/sqlite/sqlite_migrations.h"
#include "vault/storage/sqlite/sqlite_transaction.h"

namespace sejf::vault {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path,
                        int err) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err)));
}

// Creates `path` as an empty file with mode 0600 (SQLite gives its -wal and
// -shm files the same mode), or checks that an existing one is private.
absl::Status EnsurePrivateDatabaseFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    // The umask may only have narrowed 0600, e.g. to 0400; set it exactly.
    int rc = fchmod(fd, 0600);
    int err = errno;
    close(fd);
    if (rc != 0) return ErrnoError("set mode 0600 on", path, err);
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    int dir = open(parent.empty() ? "." : parent.c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      fsync(dir);  // the new directory entry survives a power loss
      close(dir);
    }
    return absl::OkStatus();
  }
  if (errno != EEXIST) return ErrnoError("create database file", path, errno);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoError("stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", path, " is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "database %s may be accessed by group or others (mode %04o); run: "
        "chmod 600 %s",
        path, st.st_mode & 07777, path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStorage>> SqliteStorage::Open(
    const std::string& path, const Clock& clock, SqliteStorageOptions options) {
  if (path.empty()) {
    return absl::InvalidArgumentError("the database path must not be empty");
  }
  RETURN_IF_ERROR(EnsurePrivateDatabaseFile(path));
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> first,
                   SqliteConnection::Open(path, options.busy_timeout));
  RETURN_IF_ERROR(ApplySqliteMigrations(*first, SqliteMigrations(), clock));
  first->RememberWalFile();  // a new database has its log only from now
  std::unique_ptr<SqliteStorage> storage(
      new SqliteStorage(path, clock, options));
  storage->wal_guard_.AfterOpen(*first, /*alone=*/true);
  storage->pool_.Adopt(std::move(first));
  return storage;
}

SqliteStorage::SqliteStorage(std::string path, const Clock& clock,
                             SqliteStorageOptions options)
    : path_(std::move(path)),
      clock_(clock),
      options_(options),
      pool_([this](bool alone) { return OpenConnection(alone); },
            options.max_connections, options.busy_timeout) {}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteStorage::OpenConnection(
    bool alone) {
  RETURN_IF_ERROR(wal_guard_.BeforeOpen(alone));
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection,
                   SqliteConnection::Open(path_, options_.busy_timeout));
  wal_guard_.AfterOpen(*connection, alone);
  return connection;
}

absl::StatusOr<std::unique_ptr<Transaction>> SqliteStorage::Begin(
    TransactionMode mode) {
  std::optional<WriterGate::Pass> pass;
  if (mode == TransactionMode::kReadWrite) {
    ASSIGN_OR_RETURN(pass, writers_.Enter(options_.busy_timeout));
  }
  ASSIGN_OR_RETURN(SqliteConnectionPool::Lease lease, pool_.Acquire());
  ASSIGN_OR_RETURN(bool replaced, wal_guard_.Check(*lease));
  if (replaced) {
    // The pool is retired: this lease closes on return, and Acquire waits
    // until every old connection has, then opens one on a new log.
    { SqliteConnectionPool::Lease retired = std::move(lease); }
    ASSIGN_OR_RETURN(SqliteConnectionPool::Lease fresh, pool_.Acquire());
    return SqliteTransaction::Begin(mode, std::move(fresh), std::move(pass),
                                    clock_, scrubber_, wal_guard_);
  }
  return SqliteTransaction::Begin(mode, std::move(lease), std::move(pass),
                                  clock_, scrubber_, wal_guard_);
}

absl::StatusOr<SqliteStorage::Snapshot> SqliteStorage::TakeSnapshot() {
  ASSIGN_OR_RETURN(SqliteConnectionPool::Lease lease, pool_.Acquire());
  // A connection on a log removed under the process would copy what no
  // later process sees: replace it first, as Begin does.
  ASSIGN_OR_RETURN(bool replaced, wal_guard_.Check(*lease));
  if (replaced) {
    { SqliteConnectionPool::Lease retired = std::move(lease); }
    ASSIGN_OR_RETURN(SqliteConnectionPool::Lease fresh, pool_.Acquire());
    RETURN_IF_ERROR(BeginSqliteSnapshot(*fresh));
    return Snapshot(std::move(fresh));
  }
  RETURN_IF_ERROR(BeginSqliteSnapshot(*lease));
  return Snapshot(std::move(lease));
}

absl::StatusOr<SqliteBackupResult> SqliteStorage::BackupTo(
    const std::string& dest_path) {
  ASSIGN_OR_RETURN(Snapshot snapshot, TakeSnapshot());
  return snapshot.CopyTo(dest_path);
}

absl::StatusOr<SqliteSettings> SqliteStorage::ReadSettings() {
  ASSIGN_OR_RETURN(SqliteConnectionPool::Lease lease, pool_.Acquire());
  SqliteSettings settings;
  ASSIGN_OR_RETURN(settings.journal_mode,
                   lease->QueryText("PRAGMA journal_mode"));
  ASSIGN_OR_RETURN(settings.synchronous,
                   lease->QueryInt64("PRAGMA synchronous"));
  ASSIGN_OR_RETURN(settings.busy_timeout_ms,
                   lease->QueryInt64("PRAGMA busy_timeout"));
  ASSIGN_OR_RETURN(std::int64_t foreign_keys,
                   lease->QueryInt64("PRAGMA foreign_keys"));
  ASSIGN_OR_RETURN(std::int64_t secure_delete,
                   lease->QueryInt64("PRAGMA secure_delete"));
  settings.foreign_keys = foreign_keys != 0;
  settings.secure_delete = secure_delete != 0;
  ASSIGN_OR_RETURN(settings.schema_version, SqliteSchemaVersion(*lease));
  return settings;
}

}  // namespace sejf::vault
