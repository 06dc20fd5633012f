// The PostgreSQL error domain (SQLSTATE, libpq connection state) →
// absl::Status, in one place.
//
//   class 08 (connection exception), a broken connection, 57P01..57P03
//   (server shutting down / starting), 55P03 lock_not_available,
//   57014 query_canceled, 40001 serialization_failure, 40P01 deadlock,
//   25006 read_only_sql_transaction (a standby), 55000 on a standby
//                                          UNAVAILABLE (retry)
//   53100 disk_full, 53200 out_of_memory   RESOURCE_EXHAUSTED
//   53300 too_many_connections             UNAVAILABLE
//   XX001 data_corrupted, XX002 index_corrupted
//                                          DATA_LOSS
//   class 28 (authorization), 42501 insufficient_privilege, 3D000 no such
//   database, 42P01 undefined_table, class 23 (constraints)
//                                          FAILED_PRECONDITION
//   anything else                          INTERNAL
//
// Messages say what was being done, PostgreSQL's primary message (never its
// DETAIL, which may quote row values), the SQLSTATE and, for what an
// operator can fix, what to do. Parameters are sent separately from the SQL
// text, so record data never appears in a primary message.
//
// Thread-safety: thread-safe, provided `conn` is not used concurrently.
#ifndef SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_STATUS_H_
#define SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_STATUS_H_

#include <libpq-fe.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sejf::vault {

// The code for a SQLSTATE (five characters); `connection_bad` wins.
absl::StatusCode PostgresStatusCode(absl::string_view sqlstate,
                                    bool connection_bad);

// `what` failed: `result` (may be null: then the connection's error) on
// `conn`.
absl::Status PostgresError(PGconn* conn, const PGresult* result,
                           absl::string_view what);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_STATUS_H_
