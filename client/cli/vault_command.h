// `sejf vault …`: the token vault's keys — rotate (a new data-encryption
// key; older records are re-sealed in the background), rotate-kek (re-wrap
// the keyring under a new HSM key) and status (re-seal progress).
#ifndef SEJF_CLIENT_CLI_VAULT_COMMAND_H_
#define SEJF_CLIENT_CLI_VAULT_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

void AddVaultCommand(CLI::App& app, const CliContext& context, int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_VAULT_COMMAND_H_
