#include "client/cli/confirm.h"

#include <unistd.h>

#include <iostream>

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

}  // namespace sejf::client::cli
