// Child processes for tests: commands run to completion (the one runner every
// layer's tests use) and long-running children (the real sejfd).
#ifndef SEJF_COMMON_TESTING_SUBPROCESS_H_
#define SEJF_COMMON_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace sejf::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `argv` to completion (killed after `timeout`), with `env` added to
// this process's environment (an empty value unsets the variable) and
// `stdin_data` on its standard input.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& stdin_data = "",
                         absl::Duration timeout = absl::Seconds(60));

// `/bin/sh -c command` to completion.
CommandResult Shell(const std::string& command);

// A long-running child whose stdout is read line by line and whose stderr
// goes to a file. Killed (SIGKILL) on destruction if still running.
class Subprocess {
 public:
  Subprocess(const std::vector<std::string>& argv,
             const std::map<std::string, std::string>& env,
             const std::string& stderr_path);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // The next stdout line (without "\n"), or nullopt at EOF or timeout.
  std::optional<std::string> ReadLine(absl::Duration timeout);

  void Signal(int signal);

  // The exit code once the child exits, or nullopt after `timeout` (-1 when
  // it died of a signal).
  std::optional<int> Wait(absl::Duration timeout);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  std::optional<int> exit_code_;
};

}  // namespace sejf::testing

#endif  // SEJF_COMMON_TESTING_SUBPROCESS_H_
