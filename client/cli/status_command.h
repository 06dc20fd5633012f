// `sejf status`: the server's health and version, and the caller's identity
// and granted operations (WhoAmI). Exit 0 when SERVING, 1 otherwise.
#ifndef SEJF_CLIENT_CLI_STATUS_COMMAND_H_
#define SEJF_CLIENT_CLI_STATUS_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

// Registers the subcommand; its run sets `*exit_code`.
void AddStatusCommand(CLI::App& app, const CliContext& context, int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_STATUS_COMMAND_H_
