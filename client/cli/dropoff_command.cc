#include "client/cli/dropoff_command.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cli/expiry_window.h"
#include "client/cli/output.h"
#include "client/dropoff_api.h"
#include "nlohmann/json.hpp"

namespace sejf::client::cli {
namespace {

struct DropoffFlags {
  std::string token_name;
  std::string key_name;
  std::string context;
  std::string usage;
  std::string expires = "24h";
  std::string id;
};

nlohmann::json ToJson(const DropoffLink& link) {
  nlohmann::json j = {{"name", link.name},
                      {"kind", link.kind},
                      {"targetName", link.target_name},
                      {"context", link.context},
                      {"state", link.state},
                      {"createTime", FormatSeconds(link.create_time)},
                      {"expireTime", FormatSeconds(link.expire_time)},
                      {"failedAttempts", link.failed_attempts},
                      {"createdBy", link.created_by}};
  if (!link.key_usage.empty()) j["keyUsage"] = link.key_usage;
  if (link.finish_time) j["finishTime"] = FormatSeconds(*link.finish_time);
  return j;
}

void PrintTable(const std::vector<DropoffLink>& links) {
  std::printf("%-27s %-6s %-24s %-24s %-10s %-20s %s\n", "NAME", "KIND",
              "TARGET", "CONTEXT", "STATE", "EXPIRES", "FAILED");
  for (const DropoffLink& l : links) {
    std::printf("%-27s %-6s %-24s %-24s %-10s %-20s %lld\n", l.name.c_str(),
                l.kind.c_str(), l.target_name.c_str(), l.context.c_str(),
                l.state.c_str(), FormatSeconds(l.expire_time).c_str(),
                static_cast<long long>(l.failed_attempts));
  }
}

int RunCreate(const DropoffFlags& flags, const CliContext& context,
              DropoffApi& api) {
  if (flags.token_name.empty() == flags.key_name.empty()) {
    std::cerr << "sejf: give what the link hands over: --token-name N (a "
                 "KSeF token) or --key-name N (a certificate and key)\n";
    return kExitUsage;
  }
  absl::StatusOr<absl::Duration> lifetime =
      ParseExpiryWindow("--expires", flags.expires);
  if (!lifetime.ok()) return CliContext::Fail(lifetime.status());
  absl::StatusOr<CreatedDropoff> created =
      api.Create({.token_name = flags.token_name,
                  .key_name = flags.key_name,
                  .context = flags.context,
                  .key_usage = flags.usage,
                  .lifetime = *lifetime});
  if (!created.ok()) return CliContext::Fail(created.status());
  const std::string url(SecretView(created->url));
  if (context.json()) {
    nlohmann::json j = ToJson(created->link);
    j["url"] = url;
    j["importKeyFingerprint"] = created->import_key_fingerprint;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << url << "\n";
    std::cerr << "One-time link for " << created->link.kind << " \""
              << created->link.target_name << "\", valid until "
              << FormatSeconds(created->link.expire_time)
              << ". It is shown only now: hand it to the person directly.\n"
              << "The page shows the import key's fingerprint; it must be "
              << created->import_key_fingerprint << "\n";
  }
  return kExitOk;
}

int RunList(const CliContext& context, DropoffApi& api) {
  absl::StatusOr<std::vector<DropoffLink>> links = api.List();
  if (!links.ok()) return CliContext::Fail(links.status());
  if (context.json()) {
    nlohmann::json all = nlohmann::json::array();
    for (const DropoffLink& link : *links) all.push_back(ToJson(link));
    std::cout << all.dump(2) << "\n";
  } else {
    PrintTable(*links);
  }
  return kExitOk;
}

int RunCancel(const DropoffFlags& flags, const CliContext& context,
              DropoffApi& api) {
  absl::StatusOr<DropoffLink> link =
      api.Cancel(ResourceName("dropoffs", flags.id));
  if (!link.ok()) return CliContext::Fail(link.status());
  if (context.json()) {
    std::cout << ToJson(*link).dump(2) << "\n";
  } else {
    std::cout << link->name << " " << link->state << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddDropoffCommand(CLI::App& app, const CliContext& context,
                       int* exit_code) {
  static DropoffFlags flags;
  CLI::App* dropoff = app.add_subcommand(
      "dropoff",
      "One-time HTTPS links a person opens to hand over a KSeF token, "
      "encrypted in the browser for sejfd's HSM");
  dropoff->require_subcommand(1);
  const auto run = [&context, exit_code](CLI::App* command, auto body) {
    command->callback([&context, exit_code, body] {
      *exit_code = context.WithClient(
          [&](Client& client) { return body(client.dropoff()); });
    });
  };

  CLI::App* create =
      dropoff->add_subcommand("create", "Make a link and print it (once)");
  create->add_option("--token-name", flags.token_name,
                     "The new token's name; the token is stored under it");
  create->add_option("--key-name", flags.key_name,
                     "The new key's name: a certificate and its (encrypted) "
                     "PKCS#8 key, handed over in the browser");
  create->add_option("--context", flags.context,
                     "The KSeF context: nip:NNNNNNNNNN or internal-id:… "
                     "(required for a token)");
  create->add_option("--usage", flags.usage,
                     "Key links: authentication or offline");
  create->add_option("--expires", flags.expires,
                     "How long the link works: 12h, 24h (default), up to 7d");
  run(create,
      [&context](DropoffApi& api) { return RunCreate(flags, context, api); });

  CLI::App* list = dropoff->add_subcommand(
      "list", "The links you may manage, with their state (no secrets)");
  run(list, [&context](DropoffApi& api) { return RunList(context, api); });

  CLI::App* cancel =
      dropoff->add_subcommand("cancel", "Stop a pending link from working");
  cancel->add_option("id", flags.id, "The link (ID or dropoffs/ID)")
      ->required();
  run(cancel,
      [&context](DropoffApi& api) { return RunCancel(flags, context, api); });
}

}  // namespace sejf::client::cli
