// PostgresConnection: one libpq connection (PGconn) and the few ways sejf
// talks over it. Parameters and results travel in PostgreSQL's binary
// format: text and bytea as their bytes, bigint as 8 big-endian bytes, so
// record data is never quoted, escaped or parsed as SQL.
//
// Thread-safety: not thread-safe; one thread at a time (a connection moves
// between threads with its pool lease).
#ifndef SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_CONNECTION_H_
#define SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_CONNECTION_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vault/storage/postgres/postgres_url.h"

namespace sejf::vault {

struct PgResultFree {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultFree>;

// The parameters of one statement ($1, $2, ... in the order added). Views
// passed to Text/Bytea must outlive the statement's execution.
class PostgresParams {
 public:
  PostgresParams& Text(absl::string_view value);
  PostgresParams& Bytea(absl::string_view value);
  PostgresParams& Int8(std::int64_t value);

 private:
  friend class PostgresConnection;
  PostgresParams& Add(unsigned int type, absl::string_view value);
  std::vector<unsigned int> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<std::unique_ptr<char[]>> int8s_;
};

// Column readers for a binary-format result.
absl::string_view PgBytes(const PGresult* result, int row, int column);
std::int64_t PgInt8(const PGresult* result, int row, int column);

class PostgresConnection {
 public:
  // Connects as PostgresConnectParams and postgres_url.h describe.
  // UNAVAILABLE with libpq's reason when it cannot (server down, refused,
  // TLS verification or authentication failed); the message names host and
  // user, never the password.
  static absl::StatusOr<std::unique_ptr<PostgresConnection>> Open(
      const PostgresConnectParams& params);

  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Runs `sql` (one or more statements, no parameters); the last result.
  // Errors as postgres_status.h, prefixed with `what`.
  absl::StatusOr<PgResult> Execute(absl::string_view sql,
                                   absl::string_view what);

  // Runs one statement with `params`, results in binary format.
  absl::StatusOr<PgResult> Query(absl::string_view sql,
                                 const PostgresParams& params,
                                 absl::string_view what);

  // The connection still works as far as libpq knows.
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  // Inside a transaction block (open or failed).
  bool InTransaction() const {
    return PQtransactionStatus(conn_) != PQTRANS_IDLE;
  }
  // The server's process id (tests: pg_terminate_backend).
  int backend_pid() const { return PQbackendPID(conn_); }
  // Whether the connection uses TLS.
  bool ssl_in_use() const { return PQsslInUse(conn_) == 1; }

 private:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  absl::StatusOr<PgResult> Check(PGresult* result, absl::string_view what);

  PGconn* conn_;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_CONNECTION_H_
