// `sejf session …` over the KsefSessions API: standing KSeF logins kept by
// sejfd, which hands out short-lived access tokens only.
//
//   open --name S (--key K | --token T) --context CTX --environment E
//        [--allowed-ip …] [--subject-identifier-type …]
//   token S   the access token alone on stdout, newline-terminated (the only
//             command that prints a KSeF token); --output json adds
//             validUntil
//   list      one line per session under a header:
//             NAME  CREDENTIAL  CONTEXT  ENVIRONMENT  STATE  ACCESS EXPIRES
//             REFRESH EXPIRES
//   show S    every field of the session (never a token)
//   close S   ends the login in KSeF and destroys the session's tokens
//
// --output json prints the response message (the session, or
// {"sessions": […]}).
#ifndef SEJF_CLIENT_CLI_SESSION_COMMAND_H_
#define SEJF_CLIENT_CLI_SESSION_COMMAND_H_

#include <CLI/CLI.hpp>

#include "client/cli/cli_context.h"

namespace sejf::client::cli {

void AddSessionCommand(CLI::App& app, const CliContext& context,
                       int* exit_code);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_SESSION_COMMAND_H_
