// SqliteStatement: the one owner of a prepared sqlite3_stmt.
//
//   ASSIGN_OR_RETURN(SqliteStatement stmt, SqliteStatement::Prepare(db, sql));
//   {
//     SqliteStatement::Run run(stmt);       // resets + unbinds on scope exit
//     RETURN_IF_ERROR(run.BindText(1, kind));
//     ASSIGN_OR_RETURN(bool row, run.Step());
//     if (row) use(run.ColumnInt64(0));
//   }
//
// Text and blobs are bound without copying (SQLITE_STATIC): the bound bytes
// must stay alive and unchanged until the Run ends, which also clears the
// bindings so that a cached statement keeps no pointer into caller memory.
//
// Thread-safety: not thread-safe; like its connection, used by one thread at
// a time.
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_STATEMENT_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_STATEMENT_H_

#include <sqlite3.h>

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::vault {

class SqliteStatement {
 public:
  // Compiles the single statement `sql`. `persistent` hints that it will be
  // kept and reused (SQLITE_PREPARE_PERSISTENT). INTERNAL naming the SQL on
  // a syntax error; other failures as sqlite_status.h.
  static absl::StatusOr<SqliteStatement> Prepare(sqlite3* db,
                                                 absl::string_view sql,
                                                 bool persistent = false);

  SqliteStatement(SqliteStatement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)) {}
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  sqlite3_stmt* get() const { return stmt_; }

  // One execution; see the file comment.
  class Run {
   public:
    explicit Run(SqliteStatement& statement) : stmt_(statement.stmt_) {}
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;
    ~Run();

    // Parameters are numbered from 1.
    absl::Status BindInt64(int index, std::int64_t value);
    absl::Status BindText(int index, absl::string_view value);
    absl::Status BindBlob(int index, absl::string_view value);

    // true: a row is available; false: the statement has finished.
    absl::StatusOr<bool> Step();
    // Steps to completion; for statements that return no rows.
    absl::Status Execute();

    // Columns of the current row, numbered from 0. Views stay valid until
    // the next Step or the end of the Run.
    std::int64_t ColumnInt64(int index) const;
    absl::string_view ColumnText(int index) const;
    absl::string_view ColumnBlob(int index) const;
    bool ColumnIsNull(int index) const;

   private:
    absl::Status BindResult(int rc, int index) const;
    sqlite3_stmt* const stmt_;
  };

 private:
  explicit SqliteStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  sqlite3_stmt* stmt_;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_STATEMENT_H_
