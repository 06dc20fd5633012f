// The PostgreSQL schema as an ordered list of migrations, applied at open.
//
// Step i (counting from 1) brings the schema from version i - 1 to i; each
// is SQL text of one or more statements. To change the schema, APPEND a step
// to kPostgresMigrations in postgres_migrations.cc — never edit, reorder or
// remove a step that has shipped.
//
// Applied versions are recorded in
//   sejf_schema_migrations(version bigint PRIMARY KEY, applied_at timestamptz)
// The tables live in the connection's current schema (search_path), so
// several deployments may share a database in separate schemas.
//
// Thread-safety: stateless functions; the connection is used by one thread.
#ifndef SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_MIGRATIONS_H_
#define SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_MIGRATIONS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "vault/storage/postgres/postgres_connection.h"

namespace sejf::vault {

// The migrations of this binary; their count is its schema version.
absl::Span<const absl::string_view> PostgresMigrations();

// Brings the database to version migrations.size() in one transaction that
// holds the write lock (kPostgresWriteLockKey, waiting at most
// `lock_timeout`): every missing step is applied and recorded, or none is.
// Processes starting at once are serialized by the lock; the later one
// finds nothing to do. FAILED_PRECONDITION naming both versions when the
// database is newer than `migrations`; the failing step's status (with its
// version) otherwise.
absl::Status ApplyPostgresMigrations(
    PostgresConnection& connection,
    absl::Span<const absl::string_view> migrations, const Clock& clock,
    absl::Duration lock_timeout);

// The highest applied version; 0 without sejf_schema_migrations.
absl::StatusOr<std::int64_t> PostgresSchemaVersion(
    PostgresConnection& connection);

// "SET LOCAL lock_timeout = '<ms>ms'".
std::string PostgresLockTimeoutSql(absl::Duration timeout);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_MIGRATIONS_H_
