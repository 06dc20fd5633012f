#include "vault/storage/sqlite/sqlite_migrations.h"

#include <cstddef>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "vault/storage/sqlite/sqlite_statement.h"

namespace sejf::vault {
namespace {

// Append only; see the header.
constexpr absl::string_view kSqliteMigrations[] = {
    // 1: records, one row per (kind, name); see vault/storage/storage.h.
    // Clustered on the primary key (WITHOUT ROWID): a lookup is one B-tree
    // search. Names compare as bytes (BINARY collation). Times are Unix
    // microseconds.
    R"sql(
      CREATE TABLE records (
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        data BLOB NOT NULL,
        create_time_us INTEGER NOT NULL,
        update_time_us INTEGER NOT NULL,
        PRIMARY KEY (kind, name)
      ) STRICT, WITHOUT ROWID;
    )sql",
};

constexpr absl::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  version INTEGER PRIMARY KEY,"
    "  applied_at TEXT NOT NULL"
    ") STRICT";

absl::Status ApplyMissing(SqliteConnection& connection,
                          absl::Span<const absl::string_view> migrations,
                          const Clock& clock) {
  RETURN_IF_ERROR(connection.Execute(kCreateMigrationsTable));
  ASSIGN_OR_RETURN(std::int64_t current, SqliteSchemaVersion(connection));
  const auto known = static_cast<std::int64_t>(migrations.size());
  if (current > known) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", connection.path(), " has schema version ", current,
        ", newer than this sejf binary supports (schema version ", known,
        "); run a sejf release that supports schema version ", current));
  }
  ASSIGN_OR_RETURN(
      SqliteStatement record,
      SqliteStatement::Prepare(connection.db(),
                               "INSERT INTO schema_migrations (version, "
                               "applied_at) VALUES (?1, ?2)"));
  const std::string now = absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ",
                                           clock.Now(), absl::UTCTimeZone());
  for (std::int64_t version = current + 1; version <= known; ++version) {
    absl::Status step =
        connection.Execute(migrations[static_cast<std::size_t>(version - 1)]);
    if (!step.ok()) {
      return absl::Status(
          step.code(),
          absl::StrCat("migrating ", connection.path(), " to schema version ",
                       version, " failed: ", step.message()));
    }
    SqliteStatement::Run run(record);
    RETURN_IF_ERROR(run.BindInt64(1, version));
    RETURN_IF_ERROR(run.BindText(2, now));
    RETURN_IF_ERROR(run.Execute());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Span<const absl::string_view> SqliteMigrations() {
  return kSqliteMigrations;
}

absl::Status ApplySqliteMigrations(
    SqliteConnection& connection,
    absl::Span<const absl::string_view> migrations, const Clock& clock) {
  RETURN_IF_ERROR(connection.Execute("BEGIN IMMEDIATE"));
  absl::Status status = ApplyMissing(connection, migrations, clock);
  if (status.ok()) status = connection.Execute("COMMIT");
  if (!status.ok() && connection.InTransaction()) {
    connection.Execute("ROLLBACK").IgnoreError();  // `status` says why
  }
  return status;
}

absl::StatusOr<std::int64_t> SqliteSchemaVersion(SqliteConnection& connection) {
  ASSIGN_OR_RETURN(
      std::int64_t exists,
      connection.QueryInt64(
          "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
          "AND name = 'schema_migrations'"));
  if (exists == 0) return 0;
  return connection.QueryInt64(
      "SELECT coalesce(max(version), 0) FROM schema_migrations");
}

}  // namespace sejf::vault
