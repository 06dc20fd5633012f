// Test helpers for server/tls: a scratch directory and the `openssl` command
// as an independent verifier. Not thread-safe; for tests only.
#ifndef SEJF_SERVER_TLS_TEST_UTIL_H_
#define SEJF_SERVER_TLS_TEST_UTIL_H_

#include <sys/types.h>

#include <string>

#include "common/testing/temp_dir.h"

namespace sejf::server::tls_test {

// The shared TempDir (common/testing/temp_dir.h), with `dir / "name"`.
class ScratchDir : public ::sejf::testing::TempDir {
 public:
  std::string operator/(const std::string& name) const { return Path(name); }
};

struct CommandResult {
  int exit_code;       // -1 when the command could not run
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh.
CommandResult RunCommand(const std::string& command);

// Runs "openssl <args>" (args are shell words, quote them yourself).
CommandResult RunOpenssl(const std::string& args);

// The file's content; "" when it cannot be read (the test then fails on the
// value, not here).
std::string ReadAll(const std::string& path);

// Writes `data` to `path` with `mode`, replacing it; true on success.
bool WriteAll(const std::string& path, const std::string& data, mode_t mode);

// The permission bits of `path`, or -1 when it does not exist.
int PermissionBits(const std::string& path);

}  // namespace sejf::server::tls_test

#endif  // SEJF_SERVER_TLS_TEST_UTIL_H_
