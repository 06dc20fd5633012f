#include "vault/storage/sqlite/sqlite_connection.h"

#include <sys/stat.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vault/storage/sqlite/sqlite_status.h"

namespace sejf::vault {

std::optional<SqliteWalFileId> SqliteWalFileIdOf(const std::string& db_path) {
  struct stat st;
  if (stat((db_path + "-wal").c_str(), &st) != 0) return std::nullopt;
  return SqliteWalFileId(st.st_dev, st.st_ino);
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, absl::Duration busy_timeout) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  // The object takes the handle even on failure: sqlite3_open_v2 may return
  // one that must still be closed.
  std::unique_ptr<SqliteConnection> connection(
      new SqliteConnection(db, path, busy_timeout));
  if (rc != SQLITE_OK) {
    return SqliteError(db, rc, absl::StrCat("cannot open database ", path));
  }
  // SQLite quietly opens a file it may not write read-only; such a
  // connection would fail every write after the file became writable again.
  if (sqlite3_db_readonly(db, "main") == 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open database ", path,
                     " for writing; make it and its directory writable"));
  }
  if (absl::Status s = connection->Configure(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("cannot open database ", path,
                                               ": ", s.message()));
  }
  // Configure read the database, which opened its log (a new, empty
  // database gets one at its first write).
  connection->RememberWalFile();
  return connection;
}

SqliteConnection::~SqliteConnection() {
  cache_.clear();  // finalize before closing
  sqlite3_close_v2(db_);
}

absl::Status SqliteConnection::Configure() {
  const auto fail = [this](int rc, absl::string_view what) {
    return SqliteError(db_, rc, what);
  };
  int rc = sqlite3_extended_result_codes(db_, 1);
  if (rc != SQLITE_OK) return fail(rc, "enabling extended result codes");
  rc = sqlite3_busy_timeout(
      db_, static_cast<int>(absl::ToInt64Milliseconds(busy_timeout_)));
  if (rc != SQLITE_OK) return fail(rc, "setting busy_timeout");
  rc = sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  if (rc != SQLITE_OK) return fail(rc, "enabling defensive mode");

  ASSIGN_OR_RETURN(std::string mode, QueryText("PRAGMA journal_mode=WAL"));
  if (absl::AsciiStrToLower(mode) != "wal") {
    return absl::FailedPreconditionError(absl::StrCat(
        "write-ahead logging is not possible (journal_mode stayed \"", mode,
        "\"); put the database on a local file system that supports shared "
        "memory"));
  }
  return Execute(
      "PRAGMA synchronous=FULL;"
      "PRAGMA foreign_keys=ON;"
      "PRAGMA secure_delete=ON;"
      "PRAGMA trusted_schema=OFF;");
}

absl::Status SqliteConnection::TruncateWal(absl::Duration max_wait) {
  return Checkpoint(SQLITE_CHECKPOINT_TRUNCATE, max_wait);
}

absl::Status SqliteConnection::CheckpointWal(absl::Duration max_wait) {
  return Checkpoint(SQLITE_CHECKPOINT_FULL, max_wait);
}

absl::Status SqliteConnection::Checkpoint(int mode, absl::Duration max_wait) {
  const auto ms = [](absl::Duration d) {
    return static_cast<int>(absl::ToInt64Milliseconds(d));
  };
  sqlite3_busy_timeout(db_, ms(max_wait));
  int log_frames = 0;
  int copied_frames = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, mode, &log_frames,
                                     &copied_frames);
  sqlite3_busy_timeout(db_, ms(busy_timeout_));
  if (rc == SQLITE_OK && copied_frames < log_frames) rc = SQLITE_BUSY;
  if (rc == SQLITE_OK) return absl::OkStatus();
  return SqliteError(db_, rc, absl::StrCat("checkpointing the WAL of ", path_));
}

bool SqliteConnection::WalReplaced() const {
  // SQLite's unix VFS opens the WAL without inode tracking, so
  // SQLITE_FCNTL_HAS_MOVED cannot answer for it; the file at the path is
  // compared with the one found when this connection opened instead. While
  // this connection is open it holds a shared lock on the database, so
  // SQLite itself never deletes or recreates the log meanwhile.
  if (!wal_file_id_) return false;
  return SqliteWalFileIdOf(path_) != wal_file_id_;
}

absl::Status SqliteConnection::Execute(absl::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs a terminating NUL
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return absl::OkStatus();
  return SqliteError(db_, rc, absl::StrCat("running \"", sql, "\" on ", path_));
}

absl::StatusOr<std::string> SqliteConnection::QueryText(absl::string_view sql) {
  ASSIGN_OR_RETURN(SqliteStatement stmt, SqliteStatement::Prepare(db_, sql));
  SqliteStatement::Run run(stmt);
  ASSIGN_OR_RETURN(bool row, run.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("\"", sql, "\" returned no row"));
  }
  return std::string(run.ColumnText(0));
}

absl::StatusOr<std::int64_t> SqliteConnection::QueryInt64(
    absl::string_view sql) {
  ASSIGN_OR_RETURN(SqliteStatement stmt, SqliteStatement::Prepare(db_, sql));
  SqliteStatement::Run run(stmt);
  ASSIGN_OR_RETURN(bool row, run.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("\"", sql, "\" returned no row"));
  }
  return run.ColumnInt64(0);
}

absl::StatusOr<SqliteStatement*> SqliteConnection::Cached(
    absl::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) return it->second.get();
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   SqliteStatement::Prepare(db_, sql, /*persistent=*/true));
  auto& slot = cache_[sql];
  slot = std::make_unique<SqliteStatement>(std::move(stmt));
  return slot.get();
}

}  // namespace sejf::vault
