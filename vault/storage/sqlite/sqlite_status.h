// The SQLite error domain → absl::Status, in one place.
//
//   SQLITE_BUSY, SQLITE_LOCKED          UNAVAILABLE (another writer; retry)
//   SQLITE_IOERR*                       UNAVAILABLE (I/O error; retry)
//   SQLITE_FULL                         RESOURCE_EXHAUSTED (disk full)
//   SQLITE_NOMEM                        RESOURCE_EXHAUSTED
//   SQLITE_CORRUPT, SQLITE_NOTADB       DATA_LOSS
//   SQLITE_CANTOPEN, SQLITE_PERM,
//   SQLITE_READONLY, SQLITE_AUTH        FAILED_PRECONDITION (fix the file)
//   SQLITE_CONSTRAINT*                  FAILED_PRECONDITION
//   anything else                       INTERNAL
//
// Messages say what was being done, what SQLite reported and, for the
// codes an operator can fix, what to do. SQLite's own
// messages name tables, columns and constraints, never bound values, so no
// record data reaches them.
//
// Thread-safety: thread-safe, provided `db` is not used concurrently (the
// message is read from the connection).
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_STATUS_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_STATUS_H_

#include <sqlite3.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sejf::vault {

absl::StatusCode SqliteStatusCode(int rc);

// `what` failed with result code `rc` on connection `db` (may be null).
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_STATUS_H_
