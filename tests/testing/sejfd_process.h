// A real sejfd child process for end-to-end tests, with a temporary data
// directory, listening on 127.0.0.1:0 (a free port) and its unix socket.
#ifndef SEJF_TESTS_TESTING_SEJFD_PROCESS_H_
#define SEJF_TESTS_TESTING_SEJFD_PROCESS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"

namespace sejf::testing {

struct SejfdOptions {
  std::string data_dir;     // --data-dir; --dev is always given
  std::string config_file;  // --config when not empty
  std::vector<std::string> extra_args;
  std::map<std::string, std::string> env;
  // Where sejfd's stderr goes (appended); empty: DATA_DIR.stderr. Several
  // daemons on one data directory (replicas) each need their own.
  std::string stderr_path = {};
};

class SejfdProcess {
 public:
  // Starts sejfd and waits (up to 60 s) until its banner names every
  // listener. The error carries the daemon's stderr.
  static absl::StatusOr<std::unique_ptr<SejfdProcess>> Start(
      const SejfdOptions& options);

  const std::string& tls_address() const { return tls_address_; }
  const std::string& unix_socket() const { return unix_socket_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& stderr_path() const { return stderr_path_; }
  // Everything sejfd printed on stdout up to the end of its banner.
  const std::string& banner() const { return banner_; }
  std::string Stderr() const;
  Subprocess& process() { return *process_; }

  // SIGTERM, then the exit code (nullopt if it did not exit in time).
  std::optional<int> Stop();

 private:
  SejfdProcess() = default;
  std::unique_ptr<Subprocess> process_;
  std::string tls_address_, unix_socket_, data_dir_, stderr_path_, banner_;
};

// Paths of the built binaries and the source tree (from the build).
std::string SejfdBinary();
std::string SejfCliBinary();
std::string SourceDir();

}  // namespace sejf::testing

#endif  // SEJF_TESTS_TESTING_SEJFD_PROCESS_H_
