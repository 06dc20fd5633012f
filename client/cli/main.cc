// sejf — the command-line client of sejfd.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "client/cli/audit_command.h"
#include "client/cli/auth_command.h"
#include "client/cli/backup_command.h"
#include "client/cli/cli_context.h"
#include "client/cli/dropoff_command.h"
#include "client/cli/key_command.h"
#include "client/cli/mfcert_command.h"
#include "client/cli/qr_command.h"
#include "client/cli/session_command.h"
#include "client/cli/status_command.h"
#include "client/cli/token_command.h"
#include "client/cli/vault_command.h"

int main(int argc, char** argv) {
  using namespace sejf::client::cli;
  // Passwords, decrypted private keys and KSeF tokens pass through this
  // process's memory: never write it to disk as a core file.
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  CliContext context;
  CLI::App app{
      "sejf: talk to sejfd, the KSeF key-custody and signing service.\n"
      "Exit status: 0 success, 1 the server refused, 2 usage error."};
  app.require_subcommand(1);
  GlobalOptions& o = context.options;
  app.add_option("--addr", o.address,
                 "Server address: unix:PATH or HOST:PORT (mutual TLS)")
      ->envname("SEJF_ADDR");
  app.add_option("--ca", o.ca, "PEM file of the CA of the server certificate")
      ->envname("SEJF_CACERT");
  app.add_option("--cert", o.cert, "PEM file of your client certificate")
      ->envname("SEJF_CLIENT_CERT");
  app.add_option("--key", o.key, "PEM file of your client key (mode 0600)")
      ->envname("SEJF_CLIENT_KEY");
  app.add_option("--output", o.output, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--timeout", o.timeout_seconds, "Seconds to wait per call")
      ->check(CLI::PositiveNumber);

  int exit_code = kExitOk;
  AddStatusCommand(app, context, &exit_code);
  AddKeyCommand(app, context, &exit_code);
  AddTokenCommand(app, context, &exit_code);
  AddDropoffCommand(app, context, &exit_code);  // issue 15
  AddVaultCommand(app, context, &exit_code);
  AddAuditCommand(app, context, &exit_code);
  AddAuthCommand(app, context, &exit_code);
  AddQrCommand(app, context, &exit_code);
  AddMfcertCommand(app, context, &exit_code);
  AddSessionCommand(app, context, &exit_code);
  AddBackupCommand(app, context, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return exit_code;
}
