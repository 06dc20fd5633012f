#include "vault/storage/postgres/postgres_migrations.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vault/storage/postgres/postgres_record_sql.h"

namespace sejf::vault {
namespace {

// Append only; see the header.
constexpr absl::string_view kPostgresMigrations[] = {
    // 1: records, one row per (kind, name); see vault/storage/storage.h.
    // Names compare as bytes (COLLATE "C"); times are Unix microseconds, as
    // in SQLite. Data is sealed ciphertext: stored out of line without
    // compression attempts (STORAGE EXTERNAL).
    R"sql(
      CREATE TABLE sejf_records (
        kind text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        version bigint NOT NULL CHECK (version >= 1),
        data bytea NOT NULL,
        create_time_us bigint NOT NULL,
        update_time_us bigint NOT NULL,
        PRIMARY KEY (kind, name)
      );
      ALTER TABLE sejf_records ALTER COLUMN data SET STORAGE EXTERNAL;
    )sql",
};

constexpr absl::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS sejf_schema_migrations ("
    "  version bigint PRIMARY KEY,"
    "  applied_at timestamptz NOT NULL)";

absl::Status ApplyMissing(PostgresConnection& connection,
                          absl::Span<const absl::string_view> migrations,
                          const Clock& clock) {
  RETURN_IF_ERROR(
      connection
          .Execute(kCreateMigrationsTable, "creating sejf_schema_migrations")
          .status());
  ASSIGN_OR_RETURN(std::int64_t current, PostgresSchemaVersion(connection));
  const auto known = static_cast<std::int64_t>(migrations.size());
  if (current > known) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the PostgreSQL database has sejf schema version ", current,
        ", newer than this sejf binary supports (schema version ", known,
        "); run a sejf release that supports schema version ", current));
  }
  const std::string now = absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ",
                                           clock.Now(), absl::UTCTimeZone());
  for (std::int64_t version = current + 1; version <= known; ++version) {
    const std::string what =
        absl::StrCat("migrating PostgreSQL to sejf schema version ", version);
    RETURN_IF_ERROR(
        connection
            .Execute(migrations[static_cast<std::size_t>(version - 1)], what)
            .status());
    RETURN_IF_ERROR(connection
                        .Query("INSERT INTO sejf_schema_migrations (version, "
                               "applied_at) VALUES ($1, $2::timestamptz)",
                               PostgresParams().Int8(version).Text(now), what)
                        .status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Span<const absl::string_view> PostgresMigrations() {
  return kPostgresMigrations;
}

std::string PostgresLockTimeoutSql(absl::Duration timeout) {
  return absl::StrCat(
      "SET LOCAL lock_timeout = '",
      std::max<std::int64_t>(1, absl::ToInt64Milliseconds(timeout)), "ms'");
}

absl::Status ApplyPostgresMigrations(
    PostgresConnection& connection,
    absl::Span<const absl::string_view> migrations, const Clock& clock,
    absl::Duration lock_timeout) {
  absl::Status status =
      connection.Execute(kPgBeginWrite, "beginning the migration").status();
  if (status.ok()) {
    status = connection
                 .Execute(PostgresLockTimeoutSql(lock_timeout),
                          "beginning the migration")
                 .status();
  }
  if (status.ok()) {
    status = connection
                 .Query(kPgTakeWriteLock,
                        PostgresParams().Int8(kPostgresWriteLockKey),
                        "taking the write lock for the migration")
                 .status();
  }
  if (status.ok()) status = ApplyMissing(connection, migrations, clock);
  if (status.ok()) {
    status = connection.Execute(kPgCommit, "committing the migration").status();
  }
  if (!status.ok() && connection.InTransaction()) {
    connection.Execute(kPgRollback, "rolling back").IgnoreError();
  }
  return status;
}

absl::StatusOr<std::int64_t> PostgresSchemaVersion(
    PostgresConnection& connection) {
  ASSIGN_OR_RETURN(
      PgResult exists,
      connection.Query(
          "SELECT to_regclass('sejf_schema_migrations') IS NOT NULL",
          PostgresParams(), "reading the sejf schema version"));
  if (PgBytes(exists.get(), 0, 0) != absl::string_view("\x01", 1)) return 0;
  ASSIGN_OR_RETURN(
      PgResult version,
      connection.Query(
          "SELECT coalesce(max(version), 0) FROM sejf_schema_migrations",
          PostgresParams(), "reading the sejf schema version"));
  return PgInt8(version.get(), 0, 0);
}

}  // namespace sejf::vault
