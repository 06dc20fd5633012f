// The SQL SqliteStorage runs against the records table (schema in
// sqlite_migrations.cc). Every statement addresses rows through the primary
// key (kind, name); sqlite_storage_test.cc checks the query plans, so that a
// lookup stays one index search with a million rows.
#ifndef SEJF_VAULT_STORAGE_SQLITE_SQLITE_RECORD_SQL_H_
#define SEJF_VAULT_STORAGE_SQLITE_SQLITE_RECORD_SQL_H_

#include "absl/strings/string_view.h"

namespace sejf::vault {

inline constexpr absl::string_view kSqlBeginRead = "BEGIN DEFERRED";
inline constexpr absl::string_view kSqlBeginWrite = "BEGIN IMMEDIATE";
inline constexpr absl::string_view kSqlCommit = "COMMIT";
inline constexpr absl::string_view kSqlRollback = "ROLLBACK";

// ?1 kind, ?2 name → version, data, create_time_us, update_time_us
inline constexpr absl::string_view kSqlSelectRecord =
    "SELECT version, data, create_time_us, update_time_us FROM records "
    "WHERE kind = ?1 AND name = ?2";

// ?1 kind, ?2 name, ?3 data, ?4 now (us)
inline constexpr absl::string_view kSqlInsertRecord =
    "INSERT INTO records "
    "(kind, name, version, data, create_time_us, update_time_us) "
    "VALUES (?1, ?2, 1, ?3, ?4, ?4)";

// ?1 kind, ?2 name, ?3 data, ?4 now (us), ?5 new version
inline constexpr absl::string_view kSqlUpdateRecord =
    "UPDATE records SET version = ?5, data = ?3, update_time_us = ?4 "
    "WHERE kind = ?1 AND name = ?2";

// ?1 kind, ?2 name
inline constexpr absl::string_view kSqlDeleteRecord =
    "DELETE FROM records WHERE kind = ?1 AND name = ?2";

// ?1 kind, ?2 start_after, ?3 limit
//   → name, version, data, create_time_us, update_time_us
inline constexpr absl::string_view kSqlListRecords =
    "SELECT name, version, data, create_time_us, update_time_us FROM records "
    "WHERE kind = ?1 AND name > ?2 ORDER BY name LIMIT ?3";

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_SQLITE_SQLITE_RECORD_SQL_H_
