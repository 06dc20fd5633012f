// `sejf token …`: KSeF tokens in the vault (import, rotate, show, list,
// disable, enable, destroy) over the TokenVault API.
//
// A token's secret is read from stdin (one line, one trailing newline
// removed; echo is off when stdin is a terminal) or from --from-file FILE
// (mode 0600), never from an argument, and kept only in zeroing memory and
// the request message, which is wiped after the call. Nothing prints it.
#ifndef SEJF_CLIENT_CLI_TOKEN_COMMAND_H_
#define SEJF_CLIENT_CLI_TOKEN_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

void AddTokenCommand(CLI::App& app, const CliContext& context, int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_TOKEN_COMMAND_H_
