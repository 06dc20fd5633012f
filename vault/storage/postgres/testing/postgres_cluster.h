// A private PostgreSQL 15 server for tests: initdb into a temporary
// directory, pg_ctl start on 127.0.0.1 at a free port, stopped (and the
// directory removed) by the destructor. As root (CI) the server runs as the
// `postgres` user (initdb refuses root); otherwise as the current user.
//
// The server has TLS on, with a certificate for "localhost" and 127.0.0.1
// from a CA made at start (ca_file()), and these roles:
//   postgres       superuser, trust (the kit's own connections)
//   sejf           LOGIN, no other privilege, trust; owns every database
//                  CreateDatabase makes (what docs/storage.md asks for)
//   sejf_password  like sejf, but only with its password (scram-sha-256)
//
// A watcher process stops the server and removes the directory when the
// test process dies without running the destructor (a crash, SIGKILL).
//
// Thread-safety: CreateDatabase and Execute may be called from several
// threads; Restart may not run concurrently with them.
#ifndef SEJF_VAULT_STORAGE_POSTGRES_TESTING_POSTGRES_CLUSTER_H_
#define SEJF_VAULT_STORAGE_POSTGRES_TESTING_POSTGRES_CLUSTER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::vault::testing {

inline constexpr absl::string_view kPostgresTestPassword =
    "pg-test-password-3c9f";

class PostgresCluster {
 public:
  // Starts a new server. FAILED_PRECONDITION when PostgreSQL 15's binaries
  // (/usr/lib/postgresql/15/bin) are missing, or as root without a
  // `postgres` user; INTERNAL with the server's log otherwise.
  static absl::StatusOr<std::unique_ptr<PostgresCluster>> Start();

  // The process's one server, started on first use and stopped when the
  // test program ends. Aborts the test program when it cannot start.
  static PostgresCluster& Shared();

  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  int port() const { return port_; }
  // The PEM CA certificate the server's certificate chains to.
  const std::string& ca_file() const { return ca_file_; }
  const std::string& dir() const { return dir_; }

  // A new empty database owned by `sejf`; its name.
  absl::StatusOr<std::string> CreateDatabase();

  // "postgresql://ROLE@127.0.0.1:PORT/DATABASE" (no password, no sslmode).
  std::string Url(absl::string_view database,
                  absl::string_view role = "sejf") const;

  // Runs `sql` as the superuser in `database`.
  absl::Status Execute(absl::string_view database, absl::string_view sql);

  // Stops the server (fast shutdown: connections are closed).
  absl::Status Stop();
  // Stops the server if it runs, and starts it again on the same port and
  // data.
  absl::Status Restart();

 private:
  PostgresCluster() = default;
  absl::Status InitAndStart();
  absl::Status StartServer();
  absl::Status StopServer(absl::string_view mode);
  // argv run as the server's user.
  absl::Status RunAsServerUser(std::vector<std::string> argv,
                               absl::string_view what);

  std::string dir_;
  std::string data_dir_;
  std::string ca_file_;
  int port_ = 0;
  bool as_postgres_user_ = false;
  bool running_ = false;
  std::atomic<int> databases_ = 0;
};

}  // namespace sejf::vault::testing

#endif  // SEJF_VAULT_STORAGE_POSTGRES_TESTING_POSTGRES_CLUSTER_H_
