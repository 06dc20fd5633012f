// SqliteWalGuard: notices a write-ahead log removed under the running
// process, saves what only that log holds, and moves every connection to a
// fresh log.
//
// Why: SQLite keeps the -wal file open. When someone deletes it (a cleanup
// script, an operator who takes it for a temporary file), the process's
// connections go on writing commits into the now nameless file. Nothing
// fails, but those commits reach the database file only at the next
// checkpoint: if the process dies first they are gone although they were
// acknowledged, and a connection opened meanwhile would create a new, empty
// -wal next to the old one's index and read pages that are not there.
// (Measured: after `rm sejf.db-wal` and a kill -9 of a sejfd that kept
// serving, the acknowledged audit events since the removal were missing.)
//
// What the guard does, before each transaction and after each write commit:
// asks the connection whether its log is still the file at the path
// (SqliteConnection::WalReplaced, one stat). When it is not:
//   1. checkpoints the unlinked log into the database file (FULL mode,
//      waiting up to the busy timeout for readers of older snapshots), so
//      everything committed so far is in the database file and fsynced;
//   2. retires every connection of the pool (sqlite_connection_pool.h): no
//      new connection opens until the last old one is closed, then new ones
//      create a fresh -wal and -shm;
//   3. reports it through `on_replaced` (sejfd logs an ERROR
//      "storage_wal_removed"): once, or twice when a write commit on an old
//      connection finds it too.
// A commit that finds its log removed is acknowledged only when step 1
// succeeded; otherwise the caller gets UNAVAILABLE (its data stays in the
// nameless log until the last old connection closes, which checkpoints it
// again, or is lost if the process dies first — it was not acknowledged).
//
// Before a new connection opens next to others, the guard checks that the
// log at the path is still the one they use (else UNAVAILABLE: it would
// start a second log beside their index); a connection opened alone takes
// whatever log it finds or creates as the pool's.
//
// What it cannot do: a commit that completes between the removal and the
// next check (of any transaction) sits only in the nameless log for that
// short time; a kill -9 exactly then loses it.
//
// Thread-safety: thread-safe.
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_WAL_GUARD_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_WAL_GUARD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "vault/storage/sqlite/sqlite_connection.h"
#include "vault/storage/sqlite/sqlite_connection_pool.h"

namespace sejf::vault {

class SqliteWalGuard {
 public:
  // Called (from the transaction's thread) once per removal found, with a
  // message for the operator.
  using OnReplaced = std::function<void(absl::string_view message)>;

  // `pool` must outlive the guard; `on_replaced` may be empty. `db_path`:
  // the database file (the log is db_path + "-wal").
  SqliteWalGuard(std::string db_path, SqliteConnectionPool* pool,
                 OnReplaced on_replaced)
      : db_path_(std::move(db_path)),
        pool_(pool),
        on_replaced_(std::move(on_replaced)) {}

  // Before opening a connection while others are open (`alone` false):
  // UNAVAILABLE when the log at the path is not the pool's any more.
  absl::Status BeforeOpen(bool alone) const;
  // After opening `connection`; when it was opened alone, its log is the
  // pool's from now on.
  void AfterOpen(const SqliteConnection& connection, bool alone);

  // On `connection`, outside any transaction. False when its log is in
  // place. True when it was removed and steps 1-3 ran: the caller must not
  // use the connection further (it is retired; drop the lease). UNAVAILABLE
  // when the checkpoint failed (steps 2 and 3 ran all the same).
  absl::StatusOr<bool> Check(SqliteConnection& connection);

  // Removals found since the storage opened (diagnostics, tests).
  std::int64_t removals_found() const { return removals_found_.load(); }

 private:
  const std::string db_path_;
  SqliteConnectionPool* const pool_;
  const OnReplaced on_replaced_;
  mutable absl::Mutex mu_;
  std::optional<SqliteWalFileId> pool_log_ ABSL_GUARDED_BY(mu_);
  std::atomic<std::int64_t> removals_found_ = 0;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_WAL_GUARD_H_
