#include "tests/testing/stored_records.h"

#include <sqlite3.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace sejf::testing {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

absl::StatusOr<Db> Open(const std::string& db_path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", db_path, ": ", sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

absl::StatusOr<Statement> Prepare(sqlite3* db, const char* sql,
                                  const std::string& kind,
                                  const std::string& name) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return absl::InternalError(sqlite3_errmsg(db));
  }
  Statement statement(raw);
  sqlite3_bind_text(raw, 1, kind.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 2, name.c_str(), -1, SQLITE_TRANSIENT);
  return statement;
}

}  // namespace

absl::StatusOr<std::string> ReadStoredRecord(const std::string& db_path,
                                             const std::string& kind,
                                             const std::string& name) {
  auto db = Open(db_path);
  if (!db.ok()) return db.status();
  auto read = Prepare(db->get(),
                      "SELECT data FROM records WHERE kind = ?1 AND name = ?2",
                      kind, name);
  if (!read.ok()) return read.status();
  int rc = sqlite3_step(read->get());
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("no record ", kind, "/", name));
  }
  if (rc != SQLITE_ROW) return absl::InternalError(sqlite3_errmsg(db->get()));
  const void* blob = sqlite3_column_blob(read->get(), 0);
  const int size = sqlite3_column_bytes(read->get(), 0);
  return blob == nullptr ? std::string()
                         : std::string(static_cast<const char*>(blob), size);
}

absl::Status WriteStoredRecord(const std::string& db_path,
                               const std::string& kind, const std::string& name,
                               const std::string& data) {
  auto db = Open(db_path);
  if (!db.ok()) return db.status();
  auto write = Prepare(
      db->get(), "UPDATE records SET data = ?3 WHERE kind = ?1 AND name = ?2",
      kind, name);
  if (!write.ok()) return write.status();
  sqlite3_bind_blob(write->get(), 3, data.data(), static_cast<int>(data.size()),
                    SQLITE_TRANSIENT);
  if (sqlite3_step(write->get()) != SQLITE_DONE) {
    return absl::InternalError(sqlite3_errmsg(db->get()));
  }
  if (sqlite3_changes(db->get()) == 0) {
    return absl::NotFoundError(absl::StrCat("no record ", kind, "/", name));
  }
  return absl::OkStatus();
}

}  // namespace sejf::testing
