// `sejf key …`: key custody (generate, show, list, csr, self-sign,
// attach-cert, disable, enable, destroy) over the KeyCustody API.
#ifndef SEJF_CLIENT_CLI_KEY_COMMAND_H_
#define SEJF_CLIENT_CLI_KEY_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

void AddKeyCommand(CLI::App& app, const CliContext& context, int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_KEY_COMMAND_H_
