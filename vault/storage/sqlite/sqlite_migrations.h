// The SQLite schema as an ordered list of migrations, applied at open.
//
// Step i (counting from 1) brings the schema from version i - 1 to i. Each
// step is SQL text of one or more statements. To change the schema, APPEND a
// step to kSqliteMigrations in sqlite_migrations.cc — never edit, reorder or
// remove a step that has shipped: databases in the field have applied it.
//
// Applied versions are recorded in
//   schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT)
// with applied_at in RFC 3339 UTC.
//
// Thread-safety: stateless functions; the connection is used by one thread.
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_MIGRATIONS_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_MIGRATIONS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "vault/storage/sqlite/sqlite_connection.h"

namespace sejf::vault {

// The migrations of this binary; their count is its schema version.
absl::Span<const absl::string_view> SqliteMigrations();

// Brings the database to version migrations.size(), in one
// BEGIN IMMEDIATE transaction: either every missing step is applied and
// recorded, or none is. Concurrent openers (threads or processes) are
// serialized by that transaction; the later one finds nothing to do.
// FAILED_PRECONDITION naming both versions when the database is newer than
// `migrations`; the status of the failing statement (with its version) when
// a step fails.
absl::Status ApplySqliteMigrations(
    SqliteConnection& connection,
    absl::Span<const absl::string_view> migrations, const Clock& clock);

// The highest applied version; 0 for a database without schema_migrations.
absl::StatusOr<std::int64_t> SqliteSchemaVersion(SqliteConnection& connection);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_MIGRATIONS_H_
