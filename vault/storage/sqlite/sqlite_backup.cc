#include "vault/storage/sqlite/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vault/storage/sqlite/sqlite_status.h"

namespace sejf::vault {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path,
                        int err) {
  std::string message =
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err));
  if (err == EEXIST) return absl::AlreadyExistsError(message);
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  if (err == ENOSPC || err == EDQUOT) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::FailedPreconditionError(message);
}

// The empty file SQLite then fills, with mode exactly 0600 (SQLite gives
// its -wal and -shm files the database file's mode).
absl::Status CreatePrivateFile(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("create", path, errno);
  int rc = fchmod(fd, 0600);
  int err = errno;
  close(fd);
  if (rc != 0) return ErrnoError("set mode 0600 on", path, err);
  return absl::OkStatus();
}

absl::Status SyncFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path, errno);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return ErrnoError("sync", path, err);
  return absl::OkStatus();
}

void RemoveCopy(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    unlink(absl::StrCat(path, suffix).c_str());
  }
}

}  // namespace

absl::Status BeginSqliteSnapshot(SqliteConnection& source) {
  RETURN_IF_ERROR(source.Execute("BEGIN DEFERRED"));
  // The first read takes the snapshot.
  absl::StatusOr<std::int64_t> read =
      source.QueryInt64("SELECT count(*) FROM sqlite_schema");
  if (!read.ok()) {
    EndSqliteSnapshot(source);
    return read.status();
  }
  return absl::OkStatus();
}

void EndSqliteSnapshot(SqliteConnection& source) {
  // A read transaction: rolling back ends it and changes nothing. Should it
  // fail, the pool closes the connection instead of reusing it.
  if (source.InTransaction()) source.Execute("ROLLBACK").IgnoreError();
}

absl::StatusOr<SqliteBackupResult> BackupSqliteDatabase(
    SqliteConnection& source, const std::string& dest_path) {
  RETURN_IF_ERROR(CreatePrivateFile(dest_path));
  bool done = false;
  absl::Cleanup remove_on_error = [&] {
    if (!done) RemoveCopy(dest_path);
  };
  sqlite3* dest = nullptr;
  int rc =
      sqlite3_open_v2(dest_path.c_str(), &dest,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  absl::Cleanup close_dest = [&] { sqlite3_close_v2(dest); };
  if (rc != SQLITE_OK) {
    return SqliteError(dest, rc, absl::StrCat("open the copy ", dest_path));
  }
  sqlite3_backup* backup =
      sqlite3_backup_init(dest, "main", source.db(), "main");
  if (backup == nullptr) {
    return SqliteError(dest, sqlite3_errcode(dest),
                       absl::StrCat("start the backup into ", dest_path));
  }
  // -1: every page in one step, under one read transaction of the source.
  int step = sqlite3_backup_step(backup, -1);
  SqliteBackupResult result;
  result.pages = sqlite3_backup_pagecount(backup);
  int finish = sqlite3_backup_finish(backup);
  if (step != SQLITE_DONE) {
    return SqliteError(dest, step,
                       absl::StrCat("copy the database into ", dest_path));
  }
  if (finish != SQLITE_OK) {
    return SqliteError(dest, finish,
                       absl::StrCat("finish the copy into ", dest_path));
  }
  std::move(close_dest).Invoke();
  RETURN_IF_ERROR(SyncFile(dest_path));
  struct stat st;
  if (stat(dest_path.c_str(), &st) != 0) {
    return ErrnoError("stat", dest_path, errno);
  }
  result.bytes = st.st_size;
  done = true;
  return result;
}

}  // namespace sejf::vault
