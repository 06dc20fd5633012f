// SqliteStorage: the embedded Storage, one SQLite database file.
//
//   ASSIGN_OR_RETURN(auto storage,
//                    SqliteStorage::Open(data_dir + "/sejf.db", clock));
//
// The file (and the -wal/-shm files SQLite derives from it) has mode 0600.
// Connections are configured as sqlite_connection.h describes (WAL,
// synchronous=FULL, busy_timeout, foreign_keys, secure_delete); the schema is
// brought up to date at open (sqlite_migrations.h). Deleted and overwritten
// record data is also scrubbed from the WAL (sqlite_wal_scrubber.h). A WAL
// removed under the running process is found before each transaction and
// after each write commit, saved into the database file and replaced
// (sqlite_wal_guard.h).
//
// Concurrency: a pool of up to max_connections connections, one per running
// transaction; Begin waits up to busy_timeout for a free one (UNAVAILABLE).
// Read-only transactions never block each other or writers, nor does a
// writer block them. Read-write transactions are serialized within the
// process (WriterGate) and, through SQLite's write lock (BEGIN IMMEDIATE +
// busy_timeout), with other processes that open the same file.
//
// Thread-safety: thread-safe (see storage.h). The clock must outlive the
// storage; every Transaction must end before the storage is destroyed.
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_STORAGE_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_STORAGE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "vault/storage/sqlite/sqlite_backup.h"
#include "vault/storage/sqlite/sqlite_connection_pool.h"
#include "vault/storage/sqlite/sqlite_wal_guard.h"
#include "vault/storage/sqlite/sqlite_wal_scrubber.h"
#include "vault/storage/storage.h"
#include "vault/storage/writer_gate.h"

namespace sejf::vault {

struct SqliteStorageOptions {
  // Connections kept at most; each running transaction holds one.
  int max_connections = 8;
  // How long to wait for SQLite's write lock (held by another process), for
  // this process's running write transaction, or for a free connection,
  // before failing with UNAVAILABLE.
  absl::Duration busy_timeout = absl::Seconds(5);
  // Told when the WAL was found removed under the running process (with a
  // message for the operator); may be empty.
  SqliteWalGuard::OnReplaced on_wal_removed = {};
};

// What SQLite reports for a connection of the pool (diagnostics, tests).
struct SqliteSettings {
  std::string journal_mode;  // "wal"
  std::int64_t synchronous;  // 2 = FULL
  std::int64_t busy_timeout_ms;
  bool foreign_keys;
  bool secure_delete;
  std::int64_t schema_version;
};

class SqliteStorage final : public Storage {
 public:
  // Opens the database at `path`, creating it with mode 0600 when missing,
  // and applies pending migrations.
  // FAILED_PRECONDITION when an existing file may be read by group or others
  // (with the chmod to run), when it is not a regular file, or when its
  // schema is newer than this binary's (naming both versions); DATA_LOSS
  // when it is not a database; other errors as sqlite_status.h.
  static absl::StatusOr<std::unique_ptr<SqliteStorage>> Open(
      const std::string& path, const Clock& clock,
      SqliteStorageOptions options = {});

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      TransactionMode mode) override;

  const std::string& path() const { return path_; }

  // The database as of now, to be copied later while the storage serves
  // (sqlite_backup.h): one pooled connection held in a read transaction
  // until the snapshot is destroyed. Writers are not held up; WAL
  // checkpoints wait for it. Destroy it before the storage.
  class Snapshot {
   public:
    Snapshot(Snapshot&&) = default;
    ~Snapshot() {
      if (lease_ != nullptr) EndSqliteSnapshot(**lease_);
    }
    // The snapshot's database into a new file `dest_path`, mode 0600.
    // Errors: as BackupSqliteDatabase.
    absl::StatusOr<SqliteBackupResult> CopyTo(const std::string& dest_path) {
      return BackupSqliteDatabase(**lease_, dest_path);
    }

   private:
    friend class SqliteStorage;
    explicit Snapshot(SqliteConnectionPool::Lease lease)
        : lease_(
              std::make_unique<SqliteConnectionPool::Lease>(std::move(lease))) {
    }
    std::unique_ptr<SqliteConnectionPool::Lease> lease_;  // null: moved from
  };
  // Errors: UNAVAILABLE when no connection is free within busy_timeout;
  // others as sqlite_status.h.
  absl::StatusOr<Snapshot> TakeSnapshot();

  // TakeSnapshot and CopyTo in one.
  absl::StatusOr<SqliteBackupResult> BackupTo(const std::string& dest_path);

  // The settings in effect on one of the pool's connections.
  absl::StatusOr<SqliteSettings> ReadSettings();

  // How many times a removed WAL was found (and replaced) since Open.
  std::int64_t wal_removals_found() const {
    return wal_guard_.removals_found();
  }

 private:
  SqliteStorage(std::string path, const Clock& clock,
                SqliteStorageOptions options);
  // The pool's opener.
  absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenConnection(bool alone);

  const std::string path_;
  const Clock& clock_;
  const SqliteStorageOptions options_;
  WriterGate writers_;
  SqliteWalScrubber scrubber_;
  SqliteConnectionPool pool_;  // its connections close before the above
  SqliteWalGuard wal_guard_{path_, &pool_, options_.on_wal_removed};
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_STORAGE_H_
