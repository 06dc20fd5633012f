#include "client/cli/cli_context.h"

#include <iostream>
#include <optional>

#include "client/retry_hint.h"

namespace sejf::client::cli {

std::unique_ptr<Client> CliContext::Connect(int* exit_code) const {
  ConnectOptions connect;
  connect.address = options.address;
  connect.ca_file = options.ca;
  connect.cert_file = options.cert;
  connect.key_file = options.key;
  connect.timeout = absl::Seconds(options.timeout_seconds);
  auto client = Client::Connect(connect);
  if (!client.ok()) {
    std::cerr << "sejf: " << client.status().message() << "\n";
    *exit_code = kExitUsage;
    return nullptr;
  }
  return *std::move(client);
}

int CliContext::WithClient(const std::function<int(Client&)>& body) const {
  int exit_code = kExitOk;
  std::unique_ptr<Client> client = Connect(&exit_code);
  if (client == nullptr) return exit_code;
  return body(*client);
}

int CliContext::Fail(const absl::Status& status) {
  std::cerr << "sejf: " << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  if (std::optional<absl::Duration> delay = RetryAfter(status)) {
    std::cerr << "sejf: the server asks to " << RetryHintText(*delay) << "\n";
  }
  return kExitRefused;
}

}  // namespace sejf::client::cli
