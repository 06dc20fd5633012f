#include "vault/storage/sqlite/sqlite_status.h"

#include "absl/strings/str_cat.h"

namespace sejf::vault {

absl::StatusCode SqliteStatusCode(int rc) {
  switch (rc & 0xFF) {  // the primary code of an extended one
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
      return absl::StatusCode::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
    case SQLITE_CONSTRAINT:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  // sqlite3_errmsg describes the most recent failure on `db`; when that was
  // not `rc` (e.g. a failure outside a statement), fall back to the generic
  // text of the code.
  const char* detail = (db != nullptr && sqlite3_extended_errcode(db) == rc)
                           ? sqlite3_errmsg(db)
                           : sqlite3_errstr(rc);
  absl::string_view hint;
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      hint = "; another connection holds the database, retry";
      break;
    case SQLITE_FULL:
      hint = "; free disk space";
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      hint = "; restore the database from a backup";
      break;
    case SQLITE_IOERR:
      hint = "; check that the database file is writable and the disk works";
      break;
    case SQLITE_READONLY:
      hint = "; make the database file and its directory writable";
      break;
    default:
      break;
  }
  return absl::Status(
      SqliteStatusCode(rc),
      absl::StrCat(what, ": ", detail, " (SQLite error ", rc, ")", hint));
}

}  // namespace sejf::vault
