#include "vault/storage/sqlite/sqlite_wal_guard.h"

#include "absl/strings/str_cat.h"

namespace sejf::vault {

absl::StatusOr<bool> SqliteWalGuard::Check(SqliteConnection& connection) {
  if (!connection.WalReplaced()) return false;
  // Every connection opened before the removal finds it; the first one
  // retires them all, so each removal is counted and reported about once.
  absl::Status saved = connection.TruncateWal(connection.busy_timeout());
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
