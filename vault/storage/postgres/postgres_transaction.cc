#include "vault/storage/postgres/postgres_transaction.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vault/storage/postgres/postgres_record_sql.h"
#include "vault/storage/record_rules.h"

namespace sejf::vault {

PostgresTransaction::PostgresTransaction(TransactionMode mode,
                                         PostgresConnectionPool::Lease lease,
                                         std::optional<WriterGate::Pass> pass,
                                         const Clock& clock)
    : Transaction(mode),
      pass_(std::move(pass)),
      lease_(std::move(lease)),
      clock_(clock) {}

PostgresTransaction::~PostgresTransaction() {
  if (lease_.has_value()) {
    if (connection().ok() && connection().InTransaction()) {
      // A failed rollback leaves the connection in a transaction; the pool
      // then closes it, which rolls back on the server.
      connection().Execute(kPgRollback, "rolling back").IgnoreError();
    }
    lease_.reset();
  }
  pass_.reset();
}

absl::StatusOr<PgResult> PostgresTransaction::Query(
    absl::string_view sql, const PostgresParams& params,
    absl::string_view what) {
  if (!failed_.ok()) {
    return absl::Status(
        failed_.code(),
        absl::StrCat("an earlier statement of this transaction failed (",
                     failed_.message(),
                     "); nothing of it will be committed, begin a new one"));
  }
  absl::StatusOr<PgResult> result = connection().Query(sql, params, what);
  if (!result.ok()) failed_ = result.status();
  return result;
}

absl::Status PostgresTransaction::MissOrConflict(
    absl::string_view kind, absl::string_view name,
    std::int64_t expected_version) {
  ASSIGN_OR_RETURN(PgResult found, Query(kPgSelectVersion,
                                         PostgresParams().Text(kind).Text(name),
                                         "reading a record's version"));
  if (PQntuples(found.get()) == 0) return NotFoundError(kind, name);
  return VersionConflictError(kind, name, expected_version,
                              PgInt8(found.get(), 0, 0));
}

absl::StatusOr<std::optional<Record>> PostgresTransaction::DoGet(
    absl::string_view kind, absl::string_view name) {
  ASSIGN_OR_RETURN(
      PgResult result,
      Query(kPgSelectRecord, PostgresParams().Text(kind).Text(name),
            "reading a record"));
  if (PQntuples(result.get()) == 0) return std::nullopt;
  const PGresult* r = result.get();
  return Record{.kind = std::string(kind),
                .name = std::string(name),
                .version = PgInt8(r, 0, 0),
                .data = std::string(PgBytes(r, 0, 1)),
                .create_time = absl::FromUnixMicros(PgInt8(r, 0, 2)),
                .update_time = absl::FromUnixMicros(PgInt8(r, 0, 3))};
}

absl::StatusOr<Record> PostgresTransaction::DoInsert(absl::string_view kind,
                                                     absl::string_view name,
                                                     absl::string_view data) {
  const absl::Time now = StorageTime(clock_.Now());
  ASSIGN_OR_RETURN(
      PgResult result,
      Query(kPgInsertRecord,
            PostgresParams().Text(kind).Text(name).Bytea(data).Int8(
                absl::ToUnixMicros(now)),
            "inserting a record"));
  if (absl::string_view(PQcmdTuples(result.get())) != "1") {
    return AlreadyExistsError(kind, name);
  }
  return Record{.kind = std::string(kind),
                .name = std::string(name),
                .version = 1,
                .data = std::string(data),
                .create_time = now,
                .update_time = now};
}

absl::StatusOr<Record> PostgresTransaction::DoUpdate(
    absl::string_view kind, absl::string_view name,
    std::int64_t expected_version, absl::string_view data) {
  const absl::Time now = StorageTime(clock_.Now());
  ASSIGN_OR_RETURN(PgResult result, Query(kPgUpdateRecord,
                                          PostgresParams()
                                              .Text(kind)
                                              .Text(name)
                                              .Bytea(data)
                                              .Int8(absl::ToUnixMicros(now))
                                              .Int8(expected_version),
                                          "updating a record"));
  if (PQntuples(result.get()) == 0) {
    return MissOrConflict(kind, name, expected_version);
  }
  return Record{.kind = std::string(kind),
                .name = std::string(name),
                .version = expected_version + 1,
                .data = std::string(data),
                .create_time = absl::FromUnixMicros(PgInt8(result.get(), 0, 0)),
                .update_time = now};
}

absl::Status PostgresTransaction::DoDelete(absl::string_view kind,
                                           absl::string_view name,
                                           std::int64_t expected_version) {
  ASSIGN_OR_RETURN(
      PgResult result,
      Query(kPgDeleteRecord,
            PostgresParams().Text(kind).Text(name).Int8(expected_version),
            "deleting a record"));
  if (absl::string_view(PQcmdTuples(result.get())) != "1") {
    return MissOrConflict(kind, name, expected_version);
  }
  return absl::OkStatus();
}

absl::StatusOr<ListPage> PostgresTransaction::DoList(
    absl::string_view kind, absl::string_view start_after, int limit) {
  ASSIGN_OR_RETURN(PgResult result,
                   Query(kPgListRecords,
                         PostgresParams()
                             .Text(kind)
                             .Text(start_after)
                             .Int8(limit + 1),  // one more: is there more?
                         "listing records"));
  const PGresult* r = result.get();
  const int rows = PQntuples(r);
  ListPage page;
  for (int row = 0; row < rows; ++row) {
    if (row == limit) {
      page.next_start_after = page.records.back().name;
      break;
    }
    page.records.push_back(
        Record{.kind = std::string(kind),
               .name = std::string(PgBytes(r, row, 0)),
               .version = PgInt8(r, row, 1),
               .data = std::string(PgBytes(r, row, 2)),
               .create_time = absl::FromUnixMicros(PgInt8(r, row, 3)),
               .update_time = absl::FromUnixMicros(PgInt8(r, row, 4))});
  }
  return page;
}

absl::Status PostgresTransaction::DoCommit() {
  absl::Status status = failed_;
  if (status.ok()) {
    absl::StatusOr<PgResult> result =
        connection().Execute(kPgCommit, "committing");
    if (!result.ok()) {
      status = result.status();
    } else if (absl::string_view(PQcmdStatus(result->get())) != "COMMIT") {
      // PostgreSQL answers COMMIT of a failed block with ROLLBACK.
      status = absl::UnavailableError(
          "the transaction was rolled back by PostgreSQL; retry");
    }
  } else {
    status = absl::Status(
        failed_.code(),
        absl::StrCat("an earlier statement of this transaction failed (",
                     failed_.message(), "); nothing of it was committed"));
  }
  if (connection().ok() && connection().InTransaction()) {
    connection().Execute(kPgRollback, "rolling back").IgnoreError();
  }
  // Return the connection, then let the next writer in.
  lease_.reset();
  pass_.reset();
  return status;
}

}  // namespace sejf::vault
