// `sejf auth xades` and `sejf auth token` over the KsefAuth API: the two
// ways to log in to KSeF without the client ever holding a secret.
//
// Output (text mode) is exactly the bytes KSeF expects, with nothing added
// (no trailing newline), so it can be piped straight into curl:
//   xades  the signed AuthTokenRequest XML, byte for byte as signed, for
//          POST /auth/xades-signature;
//   token  the JSON body for POST /auth/ksef-token.
// With --output json, the whole response message as JSON instead.
#ifndef SEJF_CLIENT_CLI_AUTH_COMMAND_H_
#define SEJF_CLIENT_CLI_AUTH_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

void AddAuthCommand(CLI::App& app, const CliContext& context, int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_AUTH_COMMAND_H_
