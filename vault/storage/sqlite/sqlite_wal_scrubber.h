// SqliteWalScrubber: keeps deleted and overwritten record data out of the
// write-ahead log.
//
// secure_delete zeroes the bytes a delete or update frees in the database
// pages, but in WAL mode the log still holds the earlier images of those
// pages (with the old data) until they are checkpointed and the log is
// reset. So after a commit that deleted or overwrote data, the scrubber runs
// a TRUNCATE checkpoint: every page is copied into the database file and the
// log is truncated to zero bytes.
//
// The checkpoint does not wait: while a reader still holds a snapshot from
// before the commit, it cannot finish, and the scrub stays pending. A pending
// scrub is retried when any later transaction of this storage ends, so it
// completes as soon as the last such reader is done; commits are never
// delayed by readers.
//
// Cost: one checkpoint (a few fsyncs) per commit that deleted or updated a
// record, plus one attempt per transaction end while a scrub is pending.
// Inserts and reads otherwise pay nothing.
//
// Thread-safety: thread-safe.
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_WAL_SCRUBBER_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_WAL_SCRUBBER_H_

#include <atomic>

#include "vault/storage/sqlite/sqlite_connection.h"

namespace sejf::vault {

class SqliteWalScrubber {
 public:
  // After a transaction on `connection` ended (the connection is outside any
  // transaction). `discarded_data`: it committed a delete or an update.
  // Best effort: a checkpoint that cannot finish leaves the scrub pending.
  void AfterTransaction(SqliteConnection& connection, bool discarded_data);

  // True while a scrub has not yet succeeded (for tests and diagnostics).
  bool pending() const { return pending_.load(); }

 private:
  std::atomic<bool> pending_ = false;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_WAL_SCRUBBER_H_
