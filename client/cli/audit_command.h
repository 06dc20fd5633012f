// `sejf audit list` and `sejf audit verify` over the AuditLog API.
// `verify` exits 0 only when the whole chain and every checkpoint signature
// hold; 1 otherwise (naming the first bad sequence number).
#ifndef SEJF_CLIENT_CLI_AUDIT_COMMAND_H_
#define SEJF_CLIENT_CLI_AUDIT_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

void AddAuditCommand(CLI::App& app, const CliContext& context, int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_AUDIT_COMMAND_H_
