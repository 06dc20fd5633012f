#include "vault/storage/postgres/postgres_storage.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vault/storage/postgres/postgres_migrations.h"
#include "vault/storage/postgres/postgres_record_sql.h"
#include "vault/storage/postgres/postgres_transaction.h"

namespace sejf::vault {
namespace {

// Names are UTF-8 and compare as bytes: a database in another encoding
// would convert them (and refuse some), and order them differently.
absl::Status CheckEncoding(PostgresConnection& connection) {
  ASSIGN_OR_RETURN(
      PgResult result,
      connection.Query("SELECT current_setting('server_encoding')",
                       PostgresParams(), "reading the database's encoding"));
  const absl::string_view encoding = PgBytes(result.get(), 0, 0);
  if (encoding != "UTF8" && encoding != "SQL_ASCII") {
    return absl::FailedPreconditionError(absl::StrCat(
        "the PostgreSQL database has encoding ", encoding,
        "; sejf needs UTF8: create it with CREATE DATABASE ... ENCODING "
        "'UTF8' TEMPLATE template0"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresStorage>> PostgresStorage::Open(
    const PostgresStorageOptions& options, const Clock& clock) {
  absl::Status url = ValidatePostgresUrl(options.connect.url,
                                         !options.connect.ca_file.empty());
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the PostgreSQL URL ", url.message()));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<PostgresConnection> first,
                   PostgresConnection::Open(options.connect));
  RETURN_IF_ERROR(CheckEncoding(*first));
  RETURN_IF_ERROR(ApplyPostgresMigrations(*first, PostgresMigrations(), clock,
                                          options.busy_timeout));
  std::unique_ptr<PostgresStorage> storage(new PostgresStorage(options, clock));
  storage->pool_.Adopt(std::move(first));
  return storage;
}

PostgresStorage::PostgresStorage(PostgresStorageOptions options,
                                 const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      begin_write_sql_(absl::StrCat(
          kPgBeginWrite, "; ", PostgresLockTimeoutSql(options_.busy_timeout),
          "; SELECT pg_advisory_xact_lock(", kPostgresWriteLockKey, ")")),
      pool_([this] { return PostgresConnection::Open(options_.connect); },
            options_.max_connections, options_.busy_timeout) {}

absl::StatusOr<PostgresConnectionPool::Lease> PostgresStorage::BeginBlock(
    TransactionMode mode) {
  const absl::string_view sql = mode == TransactionMode::kReadWrite
                                    ? absl::string_view(begin_write_sql_)
                                    : kPgBeginRead;
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(PostgresConnectionPool::Lease lease, pool_.Acquire());
    absl::Status begun =
        lease
            ->Execute(sql, mode == TransactionMode::kReadWrite
                               ? "beginning a write transaction"
                               : "beginning a read transaction")
            .status();
    if (begun.ok()) return lease;
    if (lease->ok()) {
      // E.g. the write lock's wait timed out: end the block, keep the
      // connection.
      if (lease->InTransaction()) {
        lease->Execute(kPgRollback, "rolling back").IgnoreError();
      }
      return begun;
    }
    // The connection was broken before anything ran on it (a server
    // restart or failover closes every idle connection): drop the idle
    // ones and try once on a new connection.
    if (attempt > 0) return begun;
    pool_.DiscardIdle();
  }
}

absl::StatusOr<std::unique_ptr<Transaction>> PostgresStorage::Begin(
    TransactionMode mode) {
  std::optional<WriterGate::Pass> pass;
  if (mode == TransactionMode::kReadWrite) {
    ASSIGN_OR_RETURN(pass, writers_.Enter(options_.busy_timeout));
  }
  ASSIGN_OR_RETURN(PostgresConnectionPool::Lease lease, BeginBlock(mode));
  return std::make_unique<PostgresTransaction>(mode, std::move(lease),
                                               std::move(pass), clock_);
}

absl::StatusOr<PostgresSessionInfo> PostgresStorage::ReadSessionInfo() {
  ASSIGN_OR_RETURN(PostgresConnectionPool::Lease lease,
                   BeginBlock(TransactionMode::kReadOnly));
  PostgresSessionInfo info;
  info.ssl = lease->ssl_in_use();
  info.backend_pid = lease->backend_pid();
  absl::StatusOr<std::int64_t> version = PostgresSchemaVersion(*lease);
  absl::StatusOr<PgResult> server = lease->Query(
      "SELECT version()", PostgresParams(), "reading the server version");
  lease->Execute(kPgRollback, "ending the read").IgnoreError();
  RETURN_IF_ERROR(version.status());
  RETURN_IF_ERROR(server.status());
  info.schema_version = *version;
  info.server_version = std::string(PgBytes(server->get(), 0, 0));
  return info;
}

}  // namespace sejf::vault
