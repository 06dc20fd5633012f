// `sejf dropoff …`: one-time drop-off links (issue 15, docs/dropoff.md) over
// the Dropoff API: create (prints the link once: its secret is in the
// fragment and nowhere else), list, cancel.
#ifndef SEJF_CLIENT_CLI_DROPOFF_COMMAND_H_
#define SEJF_CLIENT_CLI_DROPOFF_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

void AddDropoffCommand(CLI::App& app, const CliContext& context,
                       int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_DROPOFF_COMMAND_H_
