#include "server/tls/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/testing/subprocess.h"

namespace sejf::server::tls_test {

CommandResult RunCommand(const std::string& command) {
  ::sejf::testing::CommandResult r = ::sejf::testing::Shell(command + " 2>&1");
  return {r.exit_code, r.out};
}

CommandResult RunOpenssl(const std::string& args) {
  return RunCommand("openssl " + args);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool WriteAll(const std::string& path, const std::string& data, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out) return false;
  }
  return chmod(path.c_str(), mode) == 0;
}

int PermissionBits(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

}  // namespace sejf::server::tls_test
