#include "vault/storage/sqlite/sqlite_wal_guard.h"

#include "absl/strings/str_cat.h"

namespace sejf::vault {

absl::Status SqliteWalGuard::BeforeOpen(bool alone) const {
  if (alone) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (!pool_log_ || SqliteWalFileIdOf(db_path_) == pool_log_) {
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat(
      "the write-ahead log ", db_path_,
      "-wal was removed while sejfd ran; no new database connection opens "
      "until the old log is saved, retry"));
}

void SqliteWalGuard::AfterOpen(const SqliteConnection& connection, bool alone) {
  absl::MutexLock lock(&mu_);
  if (alone || !pool_log_) pool_log_ = connection.wal_file_id();
}

absl::StatusOr<bool> SqliteWalGuard::Check(SqliteConnection& connection) {
  if (!connection.WalReplaced()) return false;
  // Every connection opened before the removal finds it; the first one
  // retires them all, so each removal is counted and reported about once.
  absl::Status saved = connection.CheckpointWal(connection.busy_timeout());
  pool_->Retire();
  ++removals_found_;
  std::string message = absl::StrCat(
      "the write-ahead log ", connection.path(),
      "-wal was removed while sejfd ran; ",
      saved.ok() ? "everything committed was copied into the database file"
                 : absl::StrCat("copying it into the database file failed (",
                                saved.message(), ")"),
      " and the connections are reopened with a new log; find out what "
      "removed it");
  if (on_replaced_) on_replaced_(message);
  if (!saved.ok()) return absl::UnavailableError(message);
  return true;
}

}  // namespace sejf::vault
