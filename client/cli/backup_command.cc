#include "client/cli/backup_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "client/api_json.h"

namespace sejf::client::cli {

void AddBackupCommand(CLI::App& app, const CliContext& context,
                      int* exit_code) {
  CLI::App* backup = app.add_subcommand(
      "backup",
      "Copy the vault (database, HSM token, PIN files, dev PKI) consistently "
      "into a new directory on sejfd's host while sejfd serves; the copy is "
      "a data directory for sejfd --dev --data-dir (docs/backup.md)");
  auto dir = std::make_shared<std::string>();
  backup
      ->add_option("--to", *dir,
                   "Absolute path on sejfd's host: a new directory (its "
                   "parent must exist) or an empty one; created 0700")
      ->required();
  backup->callback([&context, exit_code, dir] {
    *exit_code = context.WithClient([&](Client& client) {
      auto result = client.tokens().Backup(*dir);
      if (!result.ok()) return CliContext::Fail(result.status());
      if (context.json()) {
        std::cout << ToJson(*result);
        return kExitOk;
      }
      std::cout << "backup:       " << result->directory << "\n"
                << "database:     " << result->database_bytes << " bytes\n"
                << "hsm token:    " << result->hsm_files << " file(s)\n"
                << "other files:  " << result->other_files
                << " (PIN files, dev PKI, softhsm2.conf)\n"
                << "hsm writes:   held back " << result->hsm_frozen_ms
                << " ms\n"
                << "restore:      sejfd --dev --data-dir " << result->directory
                << " (docs/backup.md)\n";
      return kExitOk;
    });
  });
}

}  // namespace sejf::client::cli
