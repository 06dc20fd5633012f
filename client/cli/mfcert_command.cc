#include "client/cli/mfcert_command.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "client/api_json.h"
#include "client/cli/output.h"
#include "common/files.h"

namespace sejf::client::cli {
namespace {

const std::map<std::string, MinistryCertificateUsage> kUsages = {
    {"KsefTokenEncryption", MinistryCertificateUsage::kKsefTokenEncryption},
    {"SymmetricKeyEncryption",
     MinistryCertificateUsage::kSymmetricKeyEncryption}};

std::string UsageName(MinistryCertificateUsage usage) {
  for (const auto& [name, value] : kUsages) {
    if (value == usage) return name;
  }
  return "unspecified";
}

// Everything the mfcert subcommands parse into; lives as long as the process.
struct MfcertFlags {
  std::string environment;
  std::string usage = "KsefTokenEncryption";
  std::string file;
  std::vector<std::string> pin_fingerprints;
};

void PrintTable(const std::vector<MinistryCertificate>& certificates) {
  std::printf("%-12s %-42s %-20s %-20s %-44s %-14s %-20s %s\n", "ENVIRONMENT",
              "USAGES", "VALID FROM", "VALID TO", "PUBLIC KEY ID", "TRUSTED BY",
              "RETIRED", "SUBJECT");
  for (const MinistryCertificate& c : certificates) {
    std::vector<std::string> usages;
    for (MinistryCertificateUsage u : c.usages) usages.push_back(UsageName(u));
    const std::string retired =
        c.retire_time.has_value() ? FormatSeconds(*c.retire_time) : "-";
    std::printf("%-12s %-42s %-20s %-20s %-44s %-14s %-20s %s\n",
                c.environment.c_str(), absl::StrJoin(usages, ",").c_str(),
                FormatSeconds(c.valid_from).c_str(),
                FormatSeconds(c.valid_to).c_str(), c.public_key_id.c_str(),
                c.trusted_by.empty() ? "-" : c.trusted_by.c_str(),
                retired.c_str(), c.subject.c_str());
  }
}

int RunImport(const MfcertFlags& flags, const CliContext& context,
              Client& client) {
  auto content = ReadFile(flags.file);
  if (!content.ok()) {
    std::cerr << "sejf: " << content.status().message() << "\n";
    return kExitUsage;
  }
  auto imported = client.ksef().ImportMinistryCertificates(
      {.environment = flags.environment,
       .content = *std::move(content),
       .usage = kUsages.at(flags.usage),
       .pin_fingerprints = flags.pin_fingerprints});
  if (!imported.ok()) return CliContext::Fail(imported.status());
  if (context.json()) {
    std::cout << ToJson(*imported);
    return kExitOk;
  }
  PrintTable(*imported);
  return kExitOk;
}

int RunFetch(const MfcertFlags& flags, const CliContext& context,
             Client& client) {
  auto fetched = client.sessions().FetchMinistryCertificates(
      {.environment = flags.environment,
       .pin_fingerprints = flags.pin_fingerprints});
  if (!fetched.ok()) return CliContext::Fail(fetched.status());
  if (context.json()) {
    std::cout << ToJson(*fetched);
    return kExitOk;
  }
  PrintTable(*fetched);
  return kExitOk;
}

int RunList(const MfcertFlags& flags, const CliContext& context,
            Client& client) {
  auto certificates =
      client.ksef().ListAllMinistryCertificates(flags.environment);
  if (!certificates.ok()) return CliContext::Fail(certificates.status());
  if (context.json()) {
    std::cout << ToJson(*certificates);
    return kExitOk;
  }
  PrintTable(*certificates);
  return kExitOk;
}

}  // namespace

void AddMfcertCommand(CLI::App& app, const CliContext& context,
                      int* exit_code) {
  static MfcertFlags flags;
  CLI::App* mfcert = app.add_subcommand(
      "mfcert",
      "Ministry of Finance certificates (token encryption), per environment");
  mfcert->require_subcommand(1);
  const auto run = [&context, exit_code](CLI::App* command, auto body) {
    command->callback([&context, exit_code, body] {
      *exit_code =
          context.WithClient([&](Client& client) { return body(client); });
    });
  };

  CLI::App* import = mfcert->add_subcommand(
      "import",
      "Import the JSON of GET /security/public-key-certificates, or PEM/DER");
  import
      ->add_option("--environment", flags.environment,
                   "test, demo, prod or a custom environment")
      ->required();
  import
      ->add_option("--usage", flags.usage,
                   "For PEM/DER: KsefTokenEncryption (default) or "
                   "SymmetricKeyEncryption")
      ->check(CLI::IsMember({"KsefTokenEncryption", "SymmetricKeyEncryption"}));
  import->add_option(
      "--pin-fingerprint", flags.pin_fingerprints,
      "SHA-256 fingerprint of a certificate in the file (64 hex digits or "
      "AA:BB:… pairs), compared with the Ministry's published value; "
      "repeatable. Required when the environment has no trust configured "
      "([ksef.environments.NAME] in sejfd's configuration); every "
      "certificate in the file must match one");
  import->add_option("file", flags.file, "The certificates file")->required();
  run(import,
      [&context](Client& client) { return RunImport(flags, context, client); });

  CLI::App* fetch = mfcert->add_subcommand(
      "fetch",
      "Download the certificates from the environment's KSeF (GET "
      "/security/public-key-certificates) and store them as import does");
  fetch
      ->add_option("--environment", flags.environment,
                   "test, demo, prod or an environment configured in sejfd")
      ->required();
  fetch->add_option(
      "--pin-fingerprint", flags.pin_fingerprints,
      "SHA-256 fingerprint of a certificate KSeF publishes (64 hex digits or "
      "AA:BB:… pairs), compared with the Ministry's published value; "
      "repeatable. Required when the environment has no trust configured "
      "(mf_trust_anchors in [ksef.environments.NAME] of sejfd's "
      "configuration)");
  run(fetch,
      [&context](Client& client) { return RunFetch(flags, context, client); });

  CLI::App* list = mfcert->add_subcommand("list", "The pinned certificates");
  list->add_option("--environment", flags.environment,
                   "Only this environment (default: all)");
  run(list,
      [&context](Client& client) { return RunList(flags, context, client); });
}

}  // namespace sejf::client::cli
