#include "client/cli/confirm.h"

#include <unistd.h>

#include <iostream>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

Confirmation AskOnTerminal(const std::string& question,
                           const std::string& expected_answer) {
  if (!isatty(STDIN_FILENO)) return Confirmation::kNoTerminal;
  std::cerr << question << " " << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) return Confirmation::kDeclined;
  return line == expected_answer ? Confirmation::kConfirmed
                                 : Confirmation::kDeclined;
}

std::optional<int> ConfirmDestroy(const std::string& kind,
                                  const std::string& name,
                                  const std::string& consequence) {
  const std::string question = "Destroy " + name + "? " + consequence +
                               "\nType the " + kind + "'s name (" + name +
                               ") to confirm:";
  switch (AskOnTerminal(question, name)) {
    case Confirmation::kConfirmed:
      return std::nullopt;
    case Confirmation::kDeclined:
      std::cerr << "sejf: not confirmed; " << name << " is unchanged\n";
      return kExitRefused;
    case Confirmation::kNoTerminal:
      std::cerr << "sejf: destroying a " << kind
                << " needs confirmation: pass --yes (no terminal to ask on); "
                << name << " is unchanged\n";
      return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace sejf::client::cli
