// The SQL PostgresStorage runs (schema in postgres_migrations.cc). Every
// statement addresses rows through the primary key (kind, name); names
// compare as bytes (COLLATE "C").
#ifndef SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_RECORD_SQL_H_
#define SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_RECORD_SQL_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace sejf::vault {

// The advisory lock every sejf write transaction (and migration) holds
// until it ends, in every process on the database: "sejfWRIT".
inline constexpr std::int64_t kPostgresWriteLockKey = 0x73656a6657524954;

// A read-only transaction on one snapshot, taken at its first statement.
inline constexpr absl::string_view kPgBeginRead =
    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
// A write transaction: READ COMMITTED, so that every statement's snapshot is
// taken after the write lock was granted (REPEATABLE READ would take it at
// the lock statement, before the wait, and then see a stale state). Holding
// the lock, no other writer runs, so each statement sees every commit
// before it and nothing changes underneath.
inline constexpr absl::string_view kPgBeginWrite =
    "BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE";
// $1 the lock key. Waits at most the transaction's lock_timeout.
inline constexpr absl::string_view kPgTakeWriteLock =
    "SELECT pg_advisory_xact_lock($1)";
inline constexpr absl::string_view kPgCommit = "COMMIT";
inline constexpr absl::string_view kPgRollback = "ROLLBACK";

// $1 kind, $2 name → version, data, create_time_us, update_time_us
inline constexpr absl::string_view kPgSelectRecord =
    "SELECT version, data, create_time_us, update_time_us FROM sejf_records "
    "WHERE kind = $1 AND name = $2";

// $1 kind, $2 name → version
inline constexpr absl::string_view kPgSelectVersion =
    "SELECT version FROM sejf_records WHERE kind = $1 AND name = $2";

// $1 kind, $2 name, $3 data, $4 now (us); no row inserted when it exists.
inline constexpr absl::string_view kPgInsertRecord =
    "INSERT INTO sejf_records "
    "(kind, name, version, data, create_time_us, update_time_us) "
    "VALUES ($1, $2, 1, $3, $4, $4) ON CONFLICT (kind, name) DO NOTHING";

// $1 kind, $2 name, $3 data, $4 now (us), $5 expected version
//   → create_time_us (no row: missing or at another version)
inline constexpr absl::string_view kPgUpdateRecord =
    "UPDATE sejf_records SET version = version + 1, data = $3, "
    "update_time_us = $4 WHERE kind = $1 AND name = $2 AND version = $5 "
    "RETURNING create_time_us";

// $1 kind, $2 name, $3 expected version (no row: missing or another version)
inline constexpr absl::string_view kPgDeleteRecord =
    "DELETE FROM sejf_records WHERE kind = $1 AND name = $2 AND version = $3";

// $1 kind, $2 start_after, $3 limit
//   → name, version, data, create_time_us, update_time_us
inline constexpr absl::string_view kPgListRecords =
    "SELECT name, version, data, create_time_us, update_time_us "
    "FROM sejf_records WHERE kind = $1 AND name > $2 ORDER BY name LIMIT $3";

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_RECORD_SQL_H_
