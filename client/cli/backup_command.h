// `sejf backup --to DIR`: a consistent online copy of the vault into DIR on
// sejfd's host (TokenVault.BackupVault; docs/backup.md). Exit 0 when the
// copy is complete, 1 when sejfd refused (nothing is left in DIR then).
#ifndef SEJF_CLIENT_CLI_BACKUP_COMMAND_H_
#define SEJF_CLIENT_CLI_BACKUP_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

// Registers the subcommand; its run sets `*exit_code`.
void AddBackupCommand(CLI::App& app, const CliContext& context, int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_BACKUP_COMMAND_H_
