#include "client/cli/key_import_command.h"

#include <iostream>
#include <string>

#include "client/cli/import_key_pin.h"
#include "client/cli/private_key_file.h"
#include "common/import_wrap.h"

namespace sejf::client::cli {
namespace {

struct ImportFlags {
  std::string name;
  std::string certificate;
  std::string private_key;
  std::string pkcs12;
  std::string password_file;
  std::string usage;
  std::string fingerprint;
};

int RunImport(const ImportFlags& flags, Client& client,
              const std::function<int(const absl::StatusOr<Key>&)>& show) {
  const bool pair = !flags.certificate.empty() || !flags.private_key.empty();
  if (pair == !flags.pkcs12.empty() ||
      (pair && (flags.certificate.empty() || flags.private_key.empty()))) {
    std::cerr << "sejf: key import: give --certificate FILE and "
                 "--private-key FILE, or --pkcs12 FILE\n";
    return kExitUsage;
  }
  // Decrypted here; from now on the key exists only wrapped.
  absl::StatusOr<KeyMaterial> material =
      pair ? LoadKeyAndCertificate(flags.certificate, flags.private_key,
                                   flags.password_file)
           : LoadPkcs12(flags.pkcs12, flags.password_file);
  if (!material.ok()) return CliContext::Fail(material.status());
  absl::StatusOr<ImportKeyInfo> import_key =
      FetchImportKey(client, flags.fingerprint);
  if (!import_key.ok()) return CliContext::Fail(import_key.status());
  absl::StatusOr<std::string> wrapped =
      WrapForImport(import_key->public_key_der, material->pkcs8);
  material->pkcs8 = SecretBytes();  // wiped
  if (!wrapped.ok()) return CliContext::Fail(wrapped.status());
  KeyImportRequest request{
      .key_id = flags.name,
      .certificate_chain = std::move(material->certificate_chain),
      .wrapped_key = *std::move(wrapped),
      .usage = flags.usage == "authentication" ? KeyUsage::kAuthentication
               : flags.usage == "offline"      ? KeyUsage::kOffline
                                               : KeyUsage::kUnspecified};
  return show(client.keys().Import(request));
}

int RunShowImportKey(const ImportFlags& flags, const CliContext& context,
                     Client& client) {
  absl::StatusOr<ImportKeyInfo> key = FetchImportKey(client, flags.fingerprint);
  if (!key.ok()) return CliContext::Fail(key.status());
  if (context.json()) {
    std::cout << "{\"fingerprintSha256\":\"" << key->fingerprint
              << "\",\"scheme\":\"" << key->scheme << "\"}\n";
  } else {
    std::cout << "fingerprint:  " << key->fingerprint << " (SHA-256)\n"
              << "scheme:       " << key->scheme << "\n"
              << key->public_key_pem;
  }
  return kExitOk;
}

}  // namespace

void AddKeyImportCommands(CLI::App* key, const CliContext& context,
                          int* exit_code,
                          std::function<int(const absl::StatusOr<Key>&)> show) {
  static ImportFlags flags;
  const auto fingerprint_option = [](CLI::App* command) {
    command->add_option("--import-key-fingerprint", flags.fingerprint,
                        "Refuse unless sejfd's import key has this SHA-256 "
                        "fingerprint (sejf key import-key shows it)");
  };

  CLI::App* import = key->add_subcommand(
      "import",
      "Bring an existing key and certificate into the HSM: decrypted here, "
      "sent only wrapped for sejfd's import key");
  import->add_option("--name", flags.name, "Name: [a-z0-9][a-z0-9._-]{0,63}")
      ->required();
  import->add_option("--certificate", flags.certificate,
                     "The certificate (PEM, with its chain, or DER)");
  import->add_option("--private-key", flags.private_key,
                     "The private key (PEM or DER; PKCS#8, encrypted "
                     "PKCS#8, or traditional EC/RSA)");
  import->add_option("--pkcs12", flags.pkcs12,
                     "A PKCS#12 file with the key and certificate (instead "
                     "of --certificate and --private-key)");
  import->add_option("--password-file", flags.password_file,
                     "Read the key's password from FILE (mode 0600); "
                     "otherwise it is asked on the terminal");
  import
      ->add_option("--usage", flags.usage,
                   "authentication or offline (default: from the "
                   "certificate's keyUsage)")
      ->check(CLI::IsMember({"authentication", "offline"}));
  fingerprint_option(import);
  import->callback([&context, exit_code, show] {
    *exit_code = context.WithClient(
        [&](Client& client) { return RunImport(flags, client, show);
});
}  // namespace sejf::client::cli
);

CLI::App* import_key = key->add_subcommand(
    "import-key",
    "Show sejfd's import key (what tokens and keys are encrypted to) and "
    "its fingerprint");
fingerprint_option(import_key);
import_key->callback([&context, exit_code] {
  *exit_code = context.WithClient(
      [&](Client& client) { return RunShowImportKey(flags, context, client); });
});
}

}  // namespace sejf::client::cli
