// SqliteConnection: the one owner of a sqlite3 connection, opened and
// configured the way sejf needs, with a cache of prepared statements.
//
// Every connection runs with
//   journal_mode=WAL      readers and one writer proceed concurrently, also
//                         across processes
//   synchronous=FULL      a commit is on disk when Commit returns (kill -9,
//                         power loss)
//   busy_timeout          waits for a lock held by another connection instead
//                         of failing at once
//   foreign_keys=ON       declared references are enforced
//   secure_delete=ON      deleted content is overwritten with zeros, so no
//                         deleted secret lingers in free space of the file
//   trusted_schema=OFF, SQLITE_DBCONFIG_DEFENSIVE
//                         hardening against a tampered database file
// and reports extended result codes.
//
// Thread-safety: not thread-safe (opened with SQLITE_OPEN_NOMUTEX); one
// thread at a time, which SqliteConnectionPool ensures.
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_CONNECTION_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_CONNECTION_H_

#include <sqlite3.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vault/storage/sqlite/sqlite_statement.h"

namespace sejf::vault {

// Device and inode of a write-ahead log file.
using SqliteWalFileId = std::pair<dev_t, ino_t>;

// The id of the file at `db_path` + "-wal"; nullopt when there is none.
std::optional<SqliteWalFileId> SqliteWalFileIdOf(const std::string& db_path);

class SqliteConnection {
 public:
  // Opens the existing database file `path` read-write and configures it as
  // above. FAILED_PRECONDITION when the file cannot be opened, or only for
  // reading, or WAL cannot be enabled (e.g. a file system without shared
  // memory); DATA_LOSS when the file is not a database.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, absl::Duration busy_timeout);

  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  // Finalizes the cached statements and closes the connection.
  ~SqliteConnection();

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }

  // True while a transaction is open on this connection.
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  // Checkpoints the whole WAL into the database file and truncates the WAL
  // to zero bytes (SQLITE_CHECKPOINT_TRUNCATE), waiting at most `max_wait`
  // for other connections' writers and readers of older snapshots instead of
  // the busy timeout. UNAVAILABLE when they did not finish in time.
  absl::Status TruncateWal(absl::Duration max_wait);

  // Copies every frame of the WAL into the database file and fsyncs it
  // (SQLITE_CHECKPOINT_FULL), waiting at most `max_wait` for other writers
  // and for readers of older snapshots; readers of the newest one do not
  // hold it up. UNAVAILABLE when some frame could not be copied in time.
  absl::Status CheckpointWal(absl::Duration max_wait);

  // True when the file at path()-wal is no longer the write-ahead log this
  // connection opened: it was removed (or replaced) under the running
  // process. The connection then still reads and writes the unlinked log,
  // which no other process or later connection sees and which vanishes
  // with this process (sqlite_wal_guard.h). One stat(2).
  bool WalReplaced() const;

  absl::Duration busy_timeout() const { return busy_timeout_; }

  // Takes the file now at path()-wal as this connection's log (Open does;
  // call it again once the first write of a new database created the log).
  void RememberWalFile() { wal_file_id_ = SqliteWalFileIdOf(path_); }
  // The log this connection took as its own; nullopt when there was none.
  const std::optional<SqliteWalFileId>& wal_file_id() const {
    return wal_file_id_;
  }

  // Runs one or more `;`-separated statements, discarding any rows.
  absl::Status Execute(absl::string_view sql);

  // The first column of the first row of `sql` (e.g. a PRAGMA);
  // NOT_FOUND when it returns no row.
  absl::StatusOr<std::string> QueryText(absl::string_view sql);
  absl::StatusOr<std::int64_t> QueryInt64(absl::string_view sql);

  // `sql` prepared on this connection, compiled on first use and kept for
  // the connection's lifetime. The pointer stays valid as long as the
  // connection. Only for a fixed set of statements (the cache never shrinks).
  absl::StatusOr<SqliteStatement*> Cached(absl::string_view sql);

 private:
  SqliteConnection(sqlite3* db, std::string path, absl::Duration busy_timeout)
      : db_(db), path_(std::move(path)), busy_timeout_(busy_timeout) {}
  absl::Status Configure();
  absl::Status Checkpoint(int mode, absl::Duration max_wait);

  sqlite3* db_;
  const std::string path_;
  const absl::Duration busy_timeout_;
  std::optional<SqliteWalFileId> wal_file_id_;
  absl::flat_hash_map<std::string, std::unique_ptr<SqliteStatement>> cache_;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_CONNECTION_H_
