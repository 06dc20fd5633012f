#include "vault/storage/postgres/postgres_connection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "vault/storage/postgres/postgres_status.h"

namespace sejf::vault {
namespace {

// Type OIDs (catalog/pg_type.h; stable across releases).
constexpr unsigned int kByteaOid = 17;
constexpr unsigned int kInt8Oid = 20;
constexpr unsigned int kTextOid = 25;
constexpr int kBinary = 1;

void StoreBigEndian64(char* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
}

std::uint64_t LoadBigEndian64(const char* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

PostgresParams& PostgresParams::Add(unsigned int type,
                                    absl::string_view value) {
  types_.push_back(type);
  // A null pointer would be SQL NULL; an empty value is not.
  values_.push_back(value.data() != nullptr ? value.data() : "");
  lengths_.push_back(static_cast<int>(value.size()));
  formats_.push_back(kBinary);
  return *this;
}

PostgresParams& PostgresParams::Text(absl::string_view value) {
  return Add(kTextOid, value);
}

PostgresParams& PostgresParams::Bytea(absl::string_view value) {
  return Add(kByteaOid, value);
}

PostgresParams& PostgresParams::Int8(std::int64_t value) {
  auto buffer = std::make_unique<char[]>(8);
  StoreBigEndian64(buffer.get(), static_cast<std::uint64_t>(value));
  Add(kInt8Oid, absl::string_view(buffer.get(), 8));
  int8s_.push_back(std::move(buffer));
  return *this;
}

absl::string_view PgBytes(const PGresult* result, int row, int column) {
  return absl::string_view(
      PQgetvalue(result, row, column),
      static_cast<std::size_t>(PQgetlength(result, row, column)));
}

std::int64_t PgInt8(const PGresult* result, int row, int column) {
  if (PQgetlength(result, row, column) != 8) return 0;
  return static_cast<std::int64_t>(
      LoadBigEndian64(PQgetvalue(result, row, column)));
}

absl::StatusOr<std::unique_ptr<PostgresConnection>> PostgresConnection::Open(
    const PostgresConnectParams& params) {
  const std::string timeout = absl::StrCat(
      std::max<std::int64_t>(1, absl::ToInt64Seconds(params.connect_timeout)));
  // The password, NUL-terminated, in zeroing memory.
  SecretBytes password = params.password;
  password.push_back(0);
  // Earlier keywords are defaults the URL (expanded in place) overrides;
  // later ones override the URL.
  // A server that stops answering (a partition, a frozen VM) is noticed
  // within about 30 s instead of the kernel's two hours: TCP keepalives and
  // a timeout for unacknowledged data. Ignored for unix sockets.
  std::vector<const char*> keywords = {
      "connect_timeout",      "application_name",
      "target_session_attrs", "keepalives_idle",
      "keepalives_interval",  "keepalives_count",
      "tcp_user_timeout",     "dbname"};
  std::vector<const char*> values = {
      timeout.c_str(), "sejfd",           "read-write", "30", "10", "3",
      "30000",         params.url.c_str()};
  // Names travel as UTF-8 bytes, never converted.
  keywords.push_back("client_encoding");
  values.push_back("UTF8");
  if (!params.password.empty()) {
    keywords.push_back("password");
    values.push_back(reinterpret_cast<const char*>(password.data()));
  }
  if (!params.ca_file.empty()) {
    keywords.push_back("sslmode");
    values.push_back("verify-full");
    keywords.push_back("sslrootcert");
    values.push_back(params.ca_file.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(),
                                   /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError(
        "cannot connect to PostgreSQL: libpq is out of memory");
  }
  std::unique_ptr<PostgresConnection> connection(new PostgresConnection(conn));
  if (PQstatus(conn) != CONNECTION_OK) {
    return PostgresError(conn, nullptr, "cannot connect to PostgreSQL");
  }
  return connection;
}

PostgresConnection::~PostgresConnection() { PQfinish(conn_); }

absl::StatusOr<PgResult> PostgresConnection::Check(PGresult* raw,
                                                   absl::string_view what) {
  PgResult result(raw);
  if (result == nullptr) return PostgresError(conn_, nullptr, what);
  switch (PQresultStatus(result.get())) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
      return result;
    default:
      return PostgresError(conn_, result.get(), what);
  }
}

absl::StatusOr<PgResult> PostgresConnection::Execute(absl::string_view sql,
                                                     absl::string_view what) {
  const std::string text(sql);
  return Check(PQexec(conn_, text.c_str()), what);
}

absl::StatusOr<PgResult> PostgresConnection::Query(absl::string_view sql,
                                                   const PostgresParams& params,
                                                   absl::string_view what) {
  const std::string text(sql);
  return Check(
      PQexecParams(conn_, text.c_str(), static_cast<int>(params.values_.size()),
                   params.types_.data(), params.values_.data(),
                   params.lengths_.data(), params.formats_.data(), kBinary),
      what);
}

}  // namespace sejf::vault
