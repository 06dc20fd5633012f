// `sejf key import` and `sejf key import-key` (issue 15, docs/import.md):
// an existing key and certificate decrypted here, wrapped for sejfd's
// import key and sent; the import key's fingerprint shown or pinned.
#ifndef SEJF_CLIENT_CLI_KEY_IMPORT_COMMAND_H_
#define SEJF_CLIENT_CLI_KEY_IMPORT_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>

#include "absl/status/statusor.h"
#include "client/cli/cli_context.h"
#include "client/key_types.h"

namespace sejf::client::cli {

// Adds the subcommands to `key` (the `sejf key` command). `show` prints a
// key result as the other key commands do and returns the exit code.
void AddKeyImportCommands(CLI::App* key, const CliContext& context,
                          int* exit_code,
                          std::function<int(const absl::StatusOr<Key>&)> show);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_KEY_IMPORT_COMMAND_H_
