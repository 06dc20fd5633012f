// `sejf qr offline` (KOD II, signed by an offline key in sejfd) and
// `sejf qr invoice` (KOD I, no secret) over the KsefAuth API. Each prints
// the link and a newline (text), or the response as JSON.
//
// The invoice is given as its XML file (--invoice FILE: hashed here with
// SHA-256 over its bytes exactly as they are, the file never leaves the
// client) or, for `offline`, as its hash (--invoice-hash H: 43 characters
// of Base64URL without padding as in a KOD I link, or 64 hex digits).
#ifndef SEJF_CLIENT_CLI_QR_COMMAND_H_
#define SEJF_CLIENT_CLI_QR_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

void AddQrCommand(CLI::App& app, const CliContext& context, int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_QR_COMMAND_H_
