// `sejf mfcert import`, `fetch` and `list` over the KsefAuth and KsefSessions
// APIs: the Ministry of Finance certificates KSeF tokens are encrypted to,
// pinned per environment by an administrator (or fetched from KSeF and
// checked against the environment's trust anchors or pins).
//
// Text output: one line per certificate under a header,
//   ENVIRONMENT  USAGES  VALID FROM  VALID TO  PUBLIC KEY ID  TRUSTED BY
//   RETIRED  SUBJECT
// (RETIRED: when KSeF's list stopped holding it, "-" while current)
// (usages as KSeF names them, comma-separated; times RFC 3339 UTC).
// --output json prints the response message.
#ifndef SEJF_CLIENT_CLI_MFCERT_COMMAND_H_
#define SEJF_CLIENT_CLI_MFCERT_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

void AddMfcertCommand(CLI::App& app, const CliContext& context, int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_MFCERT_COMMAND_H_
