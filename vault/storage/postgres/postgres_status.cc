#include "vault/storage/postgres/postgres_status.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace sejf::vault {
namespace {

absl::string_view Hint(absl::string_view sqlstate, bool connection_bad) {
  if (connection_bad || absl::StartsWith(sqlstate, "08") ||
      absl::StartsWith(sqlstate, "57P")) {
    return "; the connection to PostgreSQL was lost, retry (sejfd "
           "reconnects)";
  }
  if (sqlstate == "55P03") {
    return "; another write transaction (perhaps of another sejfd) held the "
           "write lock, retry";
  }
  if (sqlstate == "40001" || sqlstate == "40P01") return "; retry";
  if (sqlstate == "53100") return "; free disk space on the PostgreSQL server";
  if (sqlstate == "53300") {
    return "; the server has no free connection slots (max_connections), "
           "retry or lower storage.postgres_max_connections";
  }
  if (sqlstate == "25006" || sqlstate == "55000") {
    return "; connected to a read-only standby: point storage.postgres_url at "
           "the primary (or add target_session_attrs=read-write)";
  }
  if (sqlstate == "XX001" || sqlstate == "XX002") {
    return "; the PostgreSQL database is corrupt: restore it from a backup";
  }
  if (absl::StartsWith(sqlstate, "28") || sqlstate == "42501") {
    return "; grant sejf's PostgreSQL role the privileges docs/storage.md "
           "lists";
  }
  return "";
}

}  // namespace

absl::StatusCode PostgresStatusCode(absl::string_view sqlstate,
                                    bool connection_bad) {
  if (connection_bad) return absl::StatusCode::kUnavailable;
  if (sqlstate.size() != 5) return absl::StatusCode::kInternal;
  const absl::string_view klass = sqlstate.substr(0, 2);
  if (klass == "08" || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03" || sqlstate == "55P03" || sqlstate == "57014" ||
      sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "25006" ||
      sqlstate == "55000" || sqlstate == "53300") {
    return absl::StatusCode::kUnavailable;
  }
  if (klass == "53") return absl::StatusCode::kResourceExhausted;
  if (sqlstate == "XX001" || sqlstate == "XX002") {
    return absl::StatusCode::kDataLoss;
  }
  if (klass == "28" || klass == "23" || sqlstate == "42501" ||
      sqlstate == "3D000" || sqlstate == "42P01") {
    return absl::StatusCode::kFailedPrecondition;
  }
  return absl::StatusCode::kInternal;
}

absl::Status PostgresError(PGconn* conn, const PGresult* result,
                           absl::string_view what) {
  const bool connection_bad =
      conn == nullptr || PQstatus(conn) == CONNECTION_BAD;
  const char* sqlstate_c = result != nullptr
                               ? PQresultErrorField(result, PG_DIAG_SQLSTATE)
                               : nullptr;
  const absl::string_view sqlstate =
      sqlstate_c != nullptr ? sqlstate_c : absl::string_view();
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)
                        : nullptr;
  std::string detail;
  if (primary != nullptr) {
    detail = primary;
  } else if (conn != nullptr) {
    // libpq's own message (connection failures): host, port and user, never
    // the password.
    detail = std::string(absl::StripAsciiWhitespace(PQerrorMessage(conn)));
  }
  if (detail.empty()) detail = "no message";
  std::string code = sqlstate.empty()
                         ? std::string()
                         : absl::StrCat(" (SQLSTATE ", sqlstate, ")");
  return absl::Status(
      PostgresStatusCode(sqlstate, connection_bad),
      absl::StrCat(what, ": ", detail, code, Hint(sqlstate, connection_bad)));
}

}  // namespace sejf::vault
