// A consistent copy of a live SQLite database through SQLite's online backup
// API (sqlite3_backup_*), for `sejf backup` (vault/backup/vault_backup.h).
//
// The copy is taken in one backup step, under one read transaction of the
// source connection: it is the database as of one commit, whatever other
// connections (of this or another process) write meanwhile. In WAL mode
// (sqlite_connection.h) writers are not blocked by it; a WAL checkpoint
// waits for it as for any reader. BeginSqliteSnapshot fixes that commit
// ahead of the copy: the copy is then the database as of that moment,
// however long it takes.
//
// Thread-safety: `source` must not be used by another thread meanwhile (a
// connection leased from the pool is not).
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_BACKUP_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "vault/storage/sqlite/sqlite_connection.h"

namespace sejf::vault {

struct SqliteBackupResult {
  std::int64_t pages = 0;  // pages copied
  std::int64_t bytes = 0;  // size of the copy
};

// Opens a read transaction on `source` and reads once, which fixes its
// snapshot (WAL mode): what BackupSqliteDatabase copies from it. End it with
// EndSqliteSnapshot (a connection must not go back to its pool inside a
// transaction).
absl::Status BeginSqliteSnapshot(SqliteConnection& source);
void EndSqliteSnapshot(SqliteConnection& source);

// Copies the database of `source` (as of its open read transaction, if it
// has one: BeginSqliteSnapshot) into a new file `dest_path` (mode 0600,
// created here: ALREADY_EXISTS if anything is at that path), synced to disk
// before this returns. The copy's journal mode is the source's (WAL), so it
// opens as any sejf database does. On error the new file is removed.
// Errors: those of sqlite_status.h, and file-system errors naming the path.
absl::StatusOr<SqliteBackupResult> BackupSqliteDatabase(
    SqliteConnection& source, const std::string& dest_path);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_BACKUP_H_
