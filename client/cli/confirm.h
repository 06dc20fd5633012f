// Asking a person before something that cannot be undone.
#ifndef SEJF_CLIENT_CLI_CONFIRM_H_
#define SEJF_CLIENT_CLI_CONFIRM_H_

#include <string>

namespace sejf::client::cli {

enum class Confirmation { kConfirmed, kDeclined, kNoTerminal };

// Prints `question` on stderr and reads one line from stdin, which must be a
// terminal: kConfirmed only when the line is exactly `expected_answer`.
// kNoTerminal (nothing printed, nothing read) when stdin is not a terminal,
// so scripts never block and never confirm by accident.
Confirmation AskOnTerminal(const std::string& question,
                           const std::string& expected_answer);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_CONFIRM_H_
