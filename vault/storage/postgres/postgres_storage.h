// PostgresStorage: the Storage on a PostgreSQL server (15 or later), for
// deployments that run several sejfd replicas on one database
// (docs/storage.md).
//
//   PostgresStorageOptions options;
//   options.connect.url = "postgresql://sejf@db.example.com/sejf";
//   options.connect.password = ...;          // from a file; never in the URL
//   options.connect.ca_file = "/etc/sejf/pg-ca.pem";  // → verify-full
//   ASSIGN_OR_RETURN(auto storage, PostgresStorage::Open(options, clock));
//
// Records live in the table sejf_records (postgres_migrations.h), brought up
// to date at open; data is bytea, times are whole microseconds.
//
// Isolation (storage.h): read-only transactions run REPEATABLE READ, READ
// ONLY: one snapshot from their first statement; they never wait for
// writers or each other. Read-write transactions are serialized by one
// transaction-scoped advisory lock (kPostgresWriteLockKey) that every sejfd
// on the database takes right after BEGIN, waiting at most busy_timeout
// (then UNAVAILABLE), and by a WriterGate within the process (so a process
// holds at most one connection waiting for that lock). Under the lock they
// run READ COMMITTED (postgres_record_sql.h says why), so a Get and Update
// in one transaction never conflict, and no serialization failure can
// arise. Chosen over SERIALIZABLE because the contract promises exactly
// this: writers wait for each other instead of failing at commit.
//
// Connections: a pool of up to max_connections, one per running
// transaction; Begin waits up to busy_timeout for a free one (UNAVAILABLE).
// A connection found broken (server restarted, failover) is dropped with
// the other idle ones, and Begin tries once more on a new connection, so a
// restarted server costs no failed call; a connection lost inside a
// transaction fails that transaction with UNAVAILABLE (a COMMIT whose answer
// was lost may or may not have been applied, as with any database).
// Errors are mapped as postgres_status.h says; none carries a password or
// record data.
//
// Thread-safety: thread-safe (see storage.h). The clock must outlive the
// storage; every Transaction must end before the storage is destroyed.
#ifndef SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_STORAGE_H_
#define SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_STORAGE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "vault/storage/postgres/postgres_connection_pool.h"
#include "vault/storage/postgres/postgres_url.h"
#include "vault/storage/storage.h"
#include "vault/storage/writer_gate.h"

namespace sejf::vault {

struct PostgresStorageOptions {
  PostgresConnectParams connect = {};
  // Connections kept at most; each running transaction holds one.
  int max_connections = 8;
  // How long to wait for the write lock (held by another transaction, here
  // or in another sejfd) or for a free connection, before UNAVAILABLE.
  absl::Duration busy_timeout = absl::Seconds(5);
};

// What one of the pool's connections reports (diagnostics, tests).
struct PostgresSessionInfo {
  bool ssl = false;  // the connection uses TLS
  int backend_pid = 0;
  std::int64_t schema_version = 0;
  std::string server_version;  // e.g. "15.18 (Debian 15.18-0+deb12u1)"
};

class PostgresStorage final : public Storage {
 public:
  // Checks the URL (ValidatePostgresUrl: INVALID_ARGUMENT), connects
  // (UNAVAILABLE with libpq's reason), checks that the database's encoding
  // is UTF8 (or SQL_ASCII; else FAILED_PRECONDITION), and applies pending
  // migrations
  // (FAILED_PRECONDITION when the schema is newer than this binary's, or
  // the role may not create the tables: docs/storage.md).
  static absl::StatusOr<std::unique_ptr<PostgresStorage>> Open(
      const PostgresStorageOptions& options, const Clock& clock);

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      TransactionMode mode) override;

  absl::StatusOr<PostgresSessionInfo> ReadSessionInfo();

 private:
  PostgresStorage(PostgresStorageOptions options, const Clock& clock);
  // A leased connection inside a new transaction block of `mode`.
  absl::StatusOr<PostgresConnectionPool::Lease> BeginBlock(
      TransactionMode mode);

  const PostgresStorageOptions options_;
  const Clock& clock_;
  const std::string begin_write_sql_;
  WriterGate writers_;
  PostgresConnectionPool pool_;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_STORAGE_H_
