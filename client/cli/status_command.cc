#include "client/cli/status_command.h"

#include <iostream>

#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace sejf::client::cli {
namespace {

int RunStatus(const CliContext& context) {
  int exit_code = kExitOk;
  std::unique_ptr<Client> client = context.Connect(&exit_code);
  if (client == nullptr) return exit_code;
  absl::StatusOr<bool> serving = client->IsServing();
  if (!serving.ok()) return CliContext::Fail(serving.status());
  absl::StatusOr<CallerIdentity> me = client->WhoAmI();
  if (!me.ok()) return CliContext::Fail(me.status());
  const char* health = *serving ? "SERVING" : "NOT_SERVING";
  if (context.json()) {
    nlohmann::json out = {{"health", health},
                          {"server_version", me->server_version},
                          {"dev_mode", me->dev_mode},
                          {"identity", me->identity},
                          {"transport", me->transport},
                          {"granted_operations", me->granted_operations}};
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
  }
  return *serving ? kExitOk : kExitRefused;
}

}  // namespace

void AddStatusCommand(CLI::App& app, const CliContext& context,
                      int* exit_code) {
  CLI::App* status = app.add_subcommand(
      "status",
      "Server health and version, and who the server takes you to be");
  status->callback([&context, exit_code] { *exit_code = RunStatus(context); });
}

}  // namespace sejf::client::cli
