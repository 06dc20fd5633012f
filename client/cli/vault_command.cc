#include "client/cli/vault_command.h"

#include <iostream>
#include <string>

#include "client/api_json.h"

namespace sejf::client::cli {

void AddVaultCommand(CLI::App& app, const CliContext& context, int* exit_code) {
  CLI::App* vault = app.add_subcommand(
      "vault",
      "The token vault's encryption keys: rotation, status and the "
      "consistency check");
  vault->require_subcommand(1);
  const auto run = [&context, exit_code](CLI::App* command, auto body) {
    command->callback([&context, exit_code, body] {
      *exit_code =
          context.WithClient([&](Client& client) { return body(client); });
    });
  };

  CLI::App* rotate = vault->add_subcommand(
      "rotate",
      "A new data-encryption key for new writes; older records are re-sealed "
      "in the background (see sejf vault status)");
  run(rotate, [&context](Client& client) {
    auto rotation = client.tokens().RotateDataKey();
    if (!rotation.ok()) return CliContext::Fail(rotation.status());
    if (context.json()) {
      std::cout << ToJson(*rotation);
    } else {
      std::cout << "data key:     " << rotation->data_key_id
                << " (new writes); older records are being re-sealed in the "
                   "background: sejf vault status\n";
    }
    return kExitOk;
  });

  CLI::App* rotate_kek = vault->add_subcommand(
      "rotate-kek", "Re-wrap the data keys under a new HSM key-encryption key");
  run(rotate_kek, [&context](Client& client) {
    auto rotation = client.tokens().RotateKeyEncryptionKey();
    if (!rotation.ok()) return CliContext::Fail(rotation.status());
    if (context.json()) {
      std::cout << ToJson(*rotation);
    } else {
      std::cout << "kek uri:      " << rotation->kek_uri << "\n";
    }
    return kExitOk;
  });

  CLI::App* check = vault->add_subcommand(
      "check",
      "Check the HSM's objects against the vault's records (after a crash): "
      "orphaned HSM keys, keys missing from the HSM, tokens no data key "
      "opens, unfinished key generations and KEK rotations. Changes "
      "nothing; exit 1 when something is found");
  run(check, [&context](Client& client) {
    auto result = client.tokens().Check();
    if (!result.ok()) return CliContext::Fail(result.status());
    if (context.json()) {
      std::cout << ToJson(*result);
    } else {
      std::cout << "checked:      " << result->keys_checked << " key(s), "
                << result->tokens_checked << " sealed token(s), "
                << result->data_keys_checked << " data key(s), "
                << result->hsm_objects << " HSM key object(s)\n";
      for (const VaultFinding& f : result->findings) {
        std::cout << "\n"
                  << f.kind << ": " << f.subject << "\n"
                  << "  found:      " << f.detail << "\n"
                  << "  to repair:  " << f.remedy << "\n";
      }
      std::cout << (result->clean
                        ? "result:       clean\n"
                        : "\nresult:       " +
                              std::to_string(result->findings.size()) +
                              " finding(s)\n");
    }
    return result->clean ? kExitOk : kExitRefused;
  });

  CLI::App* status = vault->add_subcommand(
      "status", "Data keys, token count and re-seal progress");
  run(status, [&context](Client& client) {
    auto s = client.tokens().Status();
    if (!s.ok()) return CliContext::Fail(s.status());
    if (context.json()) {
      std::cout << ToJson(*s);
      return kExitOk;
    }
    std::cout << "data key:     " << s->current_data_key_id << " (current)\n"
              << "data keys:    " << s->data_key_count << "\n"
              << "tokens:       " << s->token_count << "\n"
              << "pending:      " << s->records_pending_reseal
              << " record(s) to re-seal"
              << (s->records_pending_reseal == 0 ? " (rotation done)" : "")
              << "\n"
              << "kek uri:      " << s->kek_uri << "\n";
    return kExitOk;
  });
}

}  // namespace sejf::client::cli
