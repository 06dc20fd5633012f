#include "vault/storage/sqlite/sqlite_statement.h"

#include <climits>

#include "absl/strings/str_cat.h"
#include "vault/storage/sqlite/sqlite_status.h"

namespace sejf::vault {

absl::StatusOr<SqliteStatement> SqliteStatement::Prepare(sqlite3* db,
                                                         absl::string_view sql,
                                                         bool persistent) {
  if (sql.size() > INT_MAX) return absl::InvalidArgumentError("SQL too long");
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt,
                              &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db, rc, absl::StrCat("preparing SQL \"", sql, "\""));
  }
  if (stmt == nullptr) {
    return absl::InternalError(
        absl::StrCat("no SQL statement in \"", sql, "\""));
  }
  return SqliteStatement(stmt);
}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement::Run::~Run() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

absl::Status SqliteStatement::Run::BindResult(int rc, int index) const {
  if (rc == SQLITE_OK) return absl::OkStatus();
  return SqliteError(sqlite3_db_handle(stmt_), rc,
                     absl::StrCat("binding parameter ", index));
}

absl::Status SqliteStatement::Run::BindInt64(int index, std::int64_t value) {
  return BindResult(sqlite3_bind_int64(stmt_, index, value), index);
}

absl::Status SqliteStatement::Run::BindText(int index,
                                            absl::string_view value) {
  return BindResult(
      sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(),
                          value.size(), SQLITE_STATIC, SQLITE_UTF8),
      index);
}

absl::Status SqliteStatement::Run::BindBlob(int index,
                                            absl::string_view value) {
  // A null pointer would bind SQL NULL; an empty blob needs a non-null one.
  return BindResult(
      sqlite3_bind_blob64(stmt_, index, value.empty() ? "" : value.data(),
                          value.size(), SQLITE_STATIC),
      index);
}

absl::StatusOr<bool> SqliteStatement::Run::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // sqlite3_sql is the text with its ? placeholders, never the bound values
  // (unlike sqlite3_expanded_sql, which must not be used here).
  return SqliteError(sqlite3_db_handle(stmt_), rc,
                     absl::StrCat("running \"", sqlite3_sql(stmt_), "\""));
}

absl::Status SqliteStatement::Run::Execute() {
  for (;;) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

std::int64_t SqliteStatement::Run::ColumnInt64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

absl::string_view SqliteStatement::Run::ColumnText(int index) const {
  const unsigned char* p = sqlite3_column_text(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

absl::string_view SqliteStatement::Run::ColumnBlob(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  if (p == nullptr) return {};  // an empty blob
  return {static_cast<const char*>(p), static_cast<std::size_t>(n)};
}

bool SqliteStatement::Run::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

}  // namespace sejf::vault
