// Asking a person before something that cannot be undone.
#ifndef SEJF_CLIENT_CLI_CONFIRM_H_
#define SEJF_CLIENT_CLI_CONFIRM_H_

#include <optional>
#include <string>

namespace sejf::client::cli {

enum class Confirmation { kConfirmed, kDeclined, kNoTerminal };

// Prints `question` on stderr and reads one line from stdin, which must be a
// terminal: kConfirmed only when the line is exactly `expected_answer`.
// kNoTerminal (nothing printed, nothing read) when stdin is not a terminal,
// so scripts never block and never confirm by accident.
Confirmation AskOnTerminal(const std::string& question,
                           const std::string& expected_answer);

// Asks before destroying the `kind` ("key", "token") named `name`, saying
// `consequence`; the person confirms by typing the name. nullopt when
// confirmed. Otherwise the exit code, having said on stderr that `name` is
// unchanged: kExitRefused when declined, kExitUsage when there is no
// terminal to ask on (pass --yes).
std::optional<int> ConfirmDestroy(const std::string& kind,
                                  const std::string& name,
                                  const std::string& consequence);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_CONFIRM_H_
