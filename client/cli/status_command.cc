#include "client/cli/status_command.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/cli/expiry_window.h"
#include "client/cli/output.h"
#include "nlohmann/json.hpp"

namespace sejf::client::cli {
namespace {

// Active keys whose certificate ends within kStatusExpiryWindow, from
// ListKeys; nullopt when the caller may not list keys (no keys.read).
std::optional<absl::StatusOr<ExpirySummary>> ExpiringKeys(
    Client& client, const CallerIdentity& me) {
  if (std::find(me.granted_operations.begin(), me.granted_operations.end(),
                "keys.read") == me.granted_operations.end()) {
    return std::nullopt;
  }
  KeyFilter active;
  active.state = CredentialState::kActive;
  absl::StatusOr<std::vector<Key>> keys = client.keys().ListAll(active);
  if (!keys.ok()) return keys.status();
  return SummarizeExpiring(*keys, kStatusExpiryWindow, absl::Now());
}

std::string DescribeExpiring(const absl::StatusOr<ExpirySummary>& summary) {
  if (!summary.ok()) {
    return absl::StrCat("(keys not listed: ",
                        absl::StatusCodeToString(summary.status().code()), ")");
  }
  if (summary->count == 0) return "no key within 30 days";
  const Key& soonest = *summary->soonest;
  return absl::StrCat(
      summary->count, summary->count == 1 ? " key" : " keys",
      " within 30 days; soonest ", soonest.name, " ",
      DescribeExpiry(soonest.certificate->not_after, absl::Now()), " (",
      FormatSeconds(soonest.certificate->not_after), ")");
}

int RunStatus(const CliContext& context) {
  int exit_code = kExitOk;
  std::unique_ptr<Client> client = context.Connect(&exit_code);
  if (client == nullptr) return exit_code;
  absl::StatusOr<bool> serving = client->IsServing();
  if (!serving.ok()) return CliContext::Fail(serving.status());
  absl::StatusOr<CallerIdentity> me = client->WhoAmI();
  if (!me.ok()) return CliContext::Fail(me.status());
  const char* health = *serving ? "SERVING" : "NOT_SERVING";
  const std::optional<absl::StatusOr<ExpirySummary>> expiring =
      ExpiringKeys(*client, *me);
  if (context.json()) {
    nlohmann::json out = {{"health", health},
                          {"server_version", me->server_version},
                          {"dev_mode", me->dev_mode},
                          {"identity", me->identity},
                          {"transport", me->transport},
                          {"granted_operations", me->granted_operations}};
    if (expiring.has_value() && expiring->ok()) {
      nlohmann::json keys = {{"within_days", 30},
                             {"count", (*expiring)->count}};
      if ((*expiring)->soonest.has_value()) {
        const Key& soonest = *(*expiring)->soonest;
        keys["soonest"] = soonest.name;
        keys["soonest_not_after"] =
            FormatSeconds(soonest.certificate->not_after);
      }
      out["keys_expiring"] = keys;
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "health:      " << health << "\n"
              << "server:      sejfd " << me->server_version
              << (me->dev_mode ? " (dev mode)" : "") << "\n"
              << "identity:    " << me->identity << " (via " << me->transport
              << ")\n"
              << "operations:  "
              << (me->granted_operations.empty()
                      ? "(none)"
                      : absl::StrJoin(me->granted_operations, " "))
              << "\n";
    if (expiring.has_value()) {
      std::cout << "expiring:    " << DescribeExpiring(*expiring) << "\n";
    }
  }
  return *serving ? kExitOk : kExitRefused;
}

}  // namespace

void AddStatusCommand(CLI::App& app, const CliContext& context,
                      int* exit_code) {
  CLI::App* status = app.add_subcommand(
      "status",
      "Server health and version, who the server takes you to be, and keys "
      "whose certificate expires within 30 days");
  status->callback([&context, exit_code] { *exit_code = RunStatus(context); });
}

}  // namespace sejf::client::cli
