#include "vault/storage/sqlite/sqlite_transaction.h"

#include <utility>

#include "common/status_macros.h"
#include "vault/storage/record_rules.h"
#include "vault/storage/sqlite/sqlite_record_sql.h"
#include "vault/storage/sqlite/sqlite_statement.h"

namespace sejf::vault {

absl::StatusOr<std::unique_ptr<Transaction>> SqliteTransaction::Begin(
    TransactionMode mode, SqliteConnectionPool::Lease lease,
    std::optional<WriterGate::Pass> pass, const Clock& clock,
    SqliteWalScrubber& scrubber, SqliteWalGuard& wal_guard) {
  std::unique_ptr<SqliteTransaction> txn(new SqliteTransaction(
      mode, std::move(lease), std::move(pass), clock, scrubber, wal_guard));
  RETURN_IF_ERROR(txn->Run(
      mode == TransactionMode::kReadWrite ? kSqlBeginWrite : kSqlBeginRead));
  return txn;
}

SqliteTransaction::SqliteTransaction(TransactionMode mode,
                                     SqliteConnectionPool::Lease lease,
                                     std::optional<WriterGate::Pass> pass,
                                     const Clock& clock,
                                     SqliteWalScrubber& scrubber,
                                     SqliteWalGuard& wal_guard)
    : Transaction(mode),
      pass_(std::move(pass)),
      lease_(std::move(lease)),
      clock_(clock),
      scrubber_(scrubber),
      wal_guard_(wal_guard) {}

SqliteTransaction::~SqliteTransaction() {
  if (!lease_) return;  // committed
  // If this fails the connection stays in its transaction, and the pool
  // closes it instead of reusing it, which also rolls back.
  if (connection().InTransaction()) Run(kSqlRollback).IgnoreError();
  if (!connection().InTransaction()) {
    scrubber_.AfterTransaction(connection(), /*discarded_data=*/false);
  }
}

absl::Status SqliteTransaction::Run(absl::string_view sql) {
  ASSIGN_OR_RETURN(SqliteStatement * stmt, connection().Cached(sql));
  SqliteStatement::Run run(*stmt);
  return run.Execute();
}

absl::StatusOr<std::optional<SqliteTransaction::Current>>
SqliteTransaction::Find(absl::string_view kind, absl::string_view name) {
  ASSIGN_OR_RETURN(SqliteStatement * stmt,
                   connection().Cached(kSqlSelectRecord));
  SqliteStatement::Run run(*stmt);
  RETURN_IF_ERROR(run.BindText(1, kind));
  RETURN_IF_ERROR(run.BindText(2, name));
  ASSIGN_OR_RETURN(bool row, run.Step());
  if (!row) return std::nullopt;
  return Current{run.ColumnInt64(0), run.ColumnInt64(2)};
}

absl::StatusOr<SqliteTransaction::Current> SqliteTransaction::FindAtVersion(
    absl::string_view kind, absl::string_view name,
    std::int64_t expected_version) {
  ASSIGN_OR_RETURN(std::optional<Current> current, Find(kind, name));
  if (!current) return NotFoundError(kind, name);
  if (current->version != expected_version) {
    return VersionConflictError(kind, name, expected_version, current->version);
  }
  return *current;
}

absl::StatusOr<std::optional<Record>> SqliteTransaction::DoGet(
    absl::string_view kind, absl::string_view name) {
  ASSIGN_OR_RETURN(SqliteStatement * stmt,
                   connection().Cached(kSqlSelectRecord));
  SqliteStatement::Run run(*stmt);
  RETURN_IF_ERROR(run.BindText(1, kind));
  RETURN_IF_ERROR(run.BindText(2, name));
  ASSIGN_OR_RETURN(bool row, run.Step());
  if (!row) return std::nullopt;
  return Record{.kind = std::string(kind),
                .name = std::string(name),
                .version = run.ColumnInt64(0),
                .data = std::string(run.ColumnBlob(1)),
                .create_time = absl::FromUnixMicros(run.ColumnInt64(2)),
                .update_time = absl::FromUnixMicros(run.ColumnInt64(3))};
}

absl::StatusOr<Record> SqliteTransaction::DoInsert(absl::string_view kind,
                                                   absl::string_view name,
                                                   absl::string_view data) {
  // The write lock is held (BEGIN IMMEDIATE), so nothing can slip in between
  // this check and the insert.
  ASSIGN_OR_RETURN(std::optional<Current> current, Find(kind, name));
  if (current) return AlreadyExistsError(kind, name);
  const absl::Time now = StorageTime(clock_.Now());
  ASSIGN_OR_RETURN(SqliteStatement * stmt,
                   connection().Cached(kSqlInsertRecord));
  SqliteStatement::Run run(*stmt);
  RETURN_IF_ERROR(run.BindText(1, kind));
  RETURN_IF_ERROR(run.BindText(2, name));
  RETURN_IF_ERROR(run.BindBlob(3, data));
  RETURN_IF_ERROR(run.BindInt64(4, absl::ToUnixMicros(now)));
  RETURN_IF_ERROR(run.Execute());
  return Record{.kind = std::string(kind),
                .name = std::string(name),
                .version = 1,
                .data = std::string(data),
                .create_time = now,
                .update_time = now};
}

absl::StatusOr<Record> SqliteTransaction::DoUpdate(
    absl::string_view kind, absl::string_view name,
    std::int64_t expected_version, absl::string_view data) {
  ASSIGN_OR_RETURN(Current current,
                   FindAtVersion(kind, name, expected_version));
  const absl::Time now = StorageTime(clock_.Now());
  ASSIGN_OR_RETURN(SqliteStatement * stmt,
                   connection().Cached(kSqlUpdateRecord));
  SqliteStatement::Run run(*stmt);
  RETURN_IF_ERROR(run.BindText(1, kind));
  RETURN_IF_ERROR(run.BindText(2, name));
  RETURN_IF_ERROR(run.BindBlob(3, data));
  RETURN_IF_ERROR(run.BindInt64(4, absl::ToUnixMicros(now)));
  RETURN_IF_ERROR(run.BindInt64(5, current.version + 1));
  RETURN_IF_ERROR(run.Execute());
  discarded_data_ = true;
  return Record{.kind = std::string(kind),
                .name = std::string(name),
                .version = current.version + 1,
                .data = std::string(data),
                .create_time = absl::FromUnixMicros(current.create_time_us),
                .update_time = now};
}

absl::Status SqliteTransaction::DoDelete(absl::string_view kind,
                                         absl::string_view name,
                                         std::int64_t expected_version) {
  RETURN_IF_ERROR(FindAtVersion(kind, name, expected_version).status());
  ASSIGN_OR_RETURN(SqliteStatement * stmt,
                   connection().Cached(kSqlDeleteRecord));
  SqliteStatement::Run run(*stmt);
  RETURN_IF_ERROR(run.BindText(1, kind));
  RETURN_IF_ERROR(run.BindText(2, name));
  RETURN_IF_ERROR(run.Execute());
  discarded_data_ = true;
  return absl::OkStatus();
}

absl::StatusOr<ListPage> SqliteTransaction::DoList(
    absl::string_view kind, absl::string_view start_after, int limit) {
  ASSIGN_OR_RETURN(SqliteStatement * stmt,
                   connection().Cached(kSqlListRecords));
  SqliteStatement::Run run(*stmt);
  RETURN_IF_ERROR(run.BindText(1, kind));
  RETURN_IF_ERROR(run.BindText(2, start_after));
  RETURN_IF_ERROR(run.BindInt64(3, limit + 1));  // one more: is there more?
  ListPage page;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, run.Step());
    if (!row) break;
    if (page.records.size() == static_cast<std::size_t>(limit)) {
      page.next_start_after = page.records.back().name;
      break;
    }
    page.records.push_back(
        Record{.kind = std::string(kind),
               .name = std::string(run.ColumnText(0)),
               .version = run.ColumnInt64(1),
               .data = std::string(run.ColumnBlob(2)),
               .create_time = absl::FromUnixMicros(run.ColumnInt64(3)),
               .update_time = absl::FromUnixMicros(run.ColumnInt64(4))});
  }
  return page;
}

absl::Status SqliteTransaction::DoCommit() {
  absl::Status status = Run(kSqlCommit);
  if (!status.ok()) {
    // End it now rather than holding locks until destruction.
    if (connection().InTransaction()) Run(kSqlRollback).IgnoreError();
  } else if (mode() == TransactionMode::kReadWrite) {
    // Committed into a log that was removed: durable only once saved.
    status = wal_guard_.Check(connection()).status();
  }
  if (!connection().InTransaction()) {
    // Still holding the writer's pass, if any: in-process writers wait on
    // the WriterGate rather than on SQLite's lock during the checkpoint.
    scrubber_.AfterTransaction(connection(), status.ok() && discarded_data_);
  }
  // Return the connection, then let the next writer in.
  lease_.reset();
  pass_.reset();
  return status;
}

}  // namespace sejf::vault
