#include "vault/storage/postgres/testing/postgres_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/testing/subprocess.h"
#include "gtest/gtest.h"
#include "vault/storage/postgres/postgres_connection.h"

namespace sejf::vault::testing {
namespace {

constexpr absl::string_view kBin = "/usr/lib/postgresql/15/bin";

std::string Bin(absl::string_view tool) {
  return absl::StrCat(kBin, "/", tool);
}

absl::StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError("cannot find a free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

absl::Status WriteText(const std::string& path, absl::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status Run(const std::vector<std::string>& argv, absl::string_view what) {
  ::sejf::testing::CommandResult r = ::sejf::testing::RunCommand(argv);
  if (r.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat(what, " failed (exit ", r.exit_code, "): ", r.err, r.out));
  }
  return absl::OkStatus();
}

// Stops the shared cluster at the end of the test program.
class SharedClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override;
};

std::unique_ptr<PostgresCluster>& SharedSlot() {
  static auto* slot = new std::unique_ptr<PostgresCluster>();
  return *slot;
}

void SharedClusterEnvironment::TearDown() { SharedSlot().reset(); }

[[maybe_unused]] ::testing::Environment* const kSharedClusterEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedClusterEnvironment);

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresCluster>> PostgresCluster::Start() {
  if (!std::filesystem::exists(Bin("initdb"))) {
    return absl::FailedPreconditionError(
        absl::StrCat("PostgreSQL 15 is not installed (no ", Bin("initdb"),
                     "); run tools/install-deps.sh"));
  }
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  RETURN_IF_ERROR(cluster->InitAndStart());
  return cluster;
}

PostgresCluster& PostgresCluster::Shared() {
  std::unique_ptr<PostgresCluster>& slot = SharedSlot();
  if (slot == nullptr) {
    absl::StatusOr<std::unique_ptr<PostgresCluster>> started = Start();
    if (!started.ok()) {
      std::fprintf(stderr, "cannot start the test PostgreSQL: %s\n",
                   started.status().ToString().c_str());
      std::abort();
    }
    slot = *std::move(started);
  }
  return *slot;
}

absl::Status PostgresCluster::RunAsServerUser(std::vector<std::string> argv,
                                              absl::string_view what) {
  if (as_postgres_user_) {
    argv.insert(argv.begin(),
                {"/usr/bin/env", "runuser", "-u", "postgres", "--"});
  }
  return Run(argv, what);
}

absl::Status PostgresCluster::InitAndStart() {
  as_postgres_user_ = geteuid() == 0;
  passwd* pg = nullptr;
  if (as_postgres_user_) {
    pg = getpwnam("postgres");
    if (pg == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, but there is no `postgres` user to run the test "
          "PostgreSQL server as (install the postgresql package)");
    }
  }
  // Not under a TMPDIR that only root may enter: the server's user must.
  const char* tmp = getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      as_postgres_user_ || tmp == nullptr || *tmp == '\0' ? "/tmp" : tmp,
      "/sejf-pg-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  dir_ = pattern;
  data_dir_ = dir_ + "/data";
  ca_file_ = dir_ + "/ca.crt";
  if (as_postgres_user_ && chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
    return absl::InternalError(absl::StrCat("cannot chown ", dir_));
  }
  // The watcher: once this process is gone, stop the server and clean up.
  const std::string stop =
      absl::StrCat(as_postgres_user_ ? "runuser -u postgres -- " : "",
                   Bin("pg_ctl"), " -D ", data_dir_, " -m immediate -w stop");
  ::sejf::testing::Shell(absl::StrCat(
      "setsid sh -c 'while kill -0 ", getpid(), " 2>/dev/null; do sleep 1; ",
      "done; ", stop, "; rm -rf ", dir_, "' </dev/null >/dev/null 2>&1 &"));

  RETURN_IF_ERROR(
      RunAsServerUser({Bin("initdb"), "-D", data_dir_, "-A", "trust", "-U",
                       "postgres", "--no-sync", "-E", "UTF8", "--locale=C"},
                      "initdb"));
  // TLS: a CA and a server certificate, made now.
  const std::string server_key = data_dir_ + "/server.key";
  const std::string server_crt = data_dir_ + "/server.crt";
  RETURN_IF_ERROR(Run(
      {"/usr/bin/env", "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir_ + "/ca.key", "-out",
       ca_file_, "-subj", "/CN=sejf test PostgreSQL CA", "-days", "2"},
      "making the test CA"));
  RETURN_IF_ERROR(Run({"/usr/bin/env",
                       "openssl",
                       "req",
                       "-x509",
                       "-newkey",
                       "ec",
                       "-pkeyopt",
                       "ec_paramgen_curve:P-256",
                       "-nodes",
                       "-keyout",
                       server_key,
                       "-out",
                       server_crt,
                       "-subj",
                       "/CN=localhost",
                       "-addext",
                       "subjectAltName=DNS:localhost,IP:127.0.0.1",
                       "-addext",
                       "basicConstraints=critical,CA:FALSE",
                       "-CA",
                       ca_file_,
                       "-CAkey",
                       dir_ + "/ca.key",
                       "-days",
                       "2"},
                      "making the test server certificate"));
  chmod(server_key.c_str(), 0600);
  if (as_postgres_user_) {
    if (chown(server_key.c_str(), pg->pw_uid, pg->pw_gid) != 0 ||
        chown(server_crt.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
      return absl::InternalError("cannot chown the server's TLS files");
    }
  }
  RETURN_IF_ERROR(
      WriteText(data_dir_ + "/pg_hba.conf",
                "local all all trust\n"
                "host all sejf_password 127.0.0.1/32 scram-sha-256\n"
                "host all sejf_password ::1/128 scram-sha-256\n"
                "host all all 127.0.0.1/32 trust\n"
                "host all all ::1/128 trust\n"));
  {
    std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
    conf << "ssl = on\nssl_cert_file = 'server.crt'\n"
            "ssl_key_file = 'server.key'\nfsync = off\n"
            "synchronous_commit = off\nfull_page_writes = off\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = '"
         << dir_ << "'\nmax_connections = 200\n";
  }
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(port_, FreePort());
    absl::Status started = StartServer();
    if (started.ok()) break;
    if (attempt == 2) return started;  // the port was taken meanwhile?
  }
  return Execute("postgres",
                 absl::StrCat("CREATE ROLE sejf LOGIN; "
                              "CREATE ROLE sejf_password LOGIN PASSWORD '",
                              kPostgresTestPassword, "'"));
}

absl::Status PostgresCluster::StartServer() {
  RETURN_IF_ERROR(RunAsServerUser(
      {Bin("pg_ctl"), "-D", data_dir_, "-o", absl::StrCat("-p ", port_), "-l",
       dir_ + "/server.log", "-w", "-t", "60", "start"},
      absl::StrCat("pg_ctl start (log: ", dir_, "/server.log)")));
  running_ = true;
  return absl::OkStatus();
}

absl::Status PostgresCluster::StopServer(absl::string_view mode) {
  if (!running_) return absl::OkStatus();
  running_ = false;
  return RunAsServerUser({Bin("pg_ctl"), "-D", data_dir_, "-m",
                          std::string(mode), "-w", "-t", "60", "stop"},
                         "pg_ctl stop");
}

PostgresCluster::~PostgresCluster() {
  StopServer("immediate").IgnoreError();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

absl::Status PostgresCluster::Stop() { return StopServer("fast"); }

absl::Status PostgresCluster::Restart() {
  RETURN_IF_ERROR(StopServer("fast"));
  return StartServer();
}

std::string PostgresCluster::Url(absl::string_view database,
                                 absl::string_view role) const {
  return absl::StrCat("postgresql://", role, "@127.0.0.1:", port_, "/",
                      database);
}

absl::Status PostgresCluster::Execute(absl::string_view database,
                                      absl::string_view sql) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<PostgresConnection> connection,
      PostgresConnection::Open({.url = Url(database, "postgres")}));
  return connection->Execute(sql, "test SQL").status();
}

absl::StatusOr<std::string> PostgresCluster::CreateDatabase() {
  std::string name = absl::StrCat("sejf_test_", ++databases_);
  RETURN_IF_ERROR(
      Execute("postgres", absl::StrCat("CREATE DATABASE ", name,
                                       " OWNER sejf TEMPLATE template0")));
  return name;
}

}  // namespace sejf::vault::testing
