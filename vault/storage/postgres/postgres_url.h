// Where and how sejfd connects to PostgreSQL: the operator's connection
// string, checked once here (server/config calls ValidatePostgresUrl), and
// the libpq keyword list built from it.
//
// `url` is anything libpq accepts: a "postgresql://user@host:5432/db?..."
// URI or a "host=... dbname=..." keyword string. It must not carry a
// password: that comes from `password_file` (read by the caller into
// PostgresConnectParams::password) or from libpq's own sources (PGPASSFILE,
// ~/.pgpass, the passfile keyword), so the string can be logged and shown
// in errors. With `ca_file` set, TLS is required and the server's
// certificate is verified against it, host name included
// (sslmode=verify-full, sslrootcert=ca_file); the URL may then not ask for a
// weaker sslmode.
//
// Thread-safety: stateless functions; thread-safe.
#ifndef SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_URL_H_
#define SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_URL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/secret.h"

namespace sejf::vault {

// OK when libpq parses `url` and it names no password, and, when
// `ca_file_set`, asks for no sslmode other than verify-full. Else
// INVALID_ARGUMENT saying what to change. Never repeats the string (a
// malformed one might hold a password).
absl::Status ValidatePostgresUrl(absl::string_view url, bool ca_file_set);

// What PostgresConnection::Open (postgres_connection.h) connects with. It
// adds defaults the URL may override: connect_timeout (below),
// application_name=sejfd, target_session_attrs=read-write (a multi-host URL
// finds the primary), keepalives_idle=30, keepalives_interval=10,
// keepalives_count=3 and tcp_user_timeout=30000 (a silent server is noticed
// within about 30 s). It sets client_encoding=UTF8, and password, sslmode
// and sslrootcert as the fields below say, whatever the URL says.
struct PostgresConnectParams {
  std::string url = {};       // passes ValidatePostgresUrl
  SecretBytes password = {};  // empty: libpq's own sources (PGPASSFILE, ...)
  std::string ca_file = {};   // empty: the URL's sslmode (libpq's "prefer")
  // Used unless the URL sets connect_timeout.
  absl::Duration connect_timeout = absl::Seconds(10);
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_POSTGRES_POSTGRES_URL_H_
