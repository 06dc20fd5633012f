// What every `sejf` subcommand shares: the global options, the connection,
// output format and the exit-code convention:
//   0 success, 1 the server refused (stderr: gRPC code name and message),
//   2 usage error (bad flags, missing address or files).
#ifndef SEJF_CLIENT_CLI_CLI_CONTEXT_H_
#define SEJF_CLIENT_CLI_CLI_CONTEXT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "client/client.h"

namespace sejf::client::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;

struct GlobalOptions {
  std::string address;          // --addr / SEJF_ADDR
  std::string ca;               // --ca / SEJF_CACERT
  std::string cert;             // --cert / SEJF_CLIENT_CERT
  std::string key;              // --key / SEJF_CLIENT_KEY
  std::string output = "text";  // --output text|json
  double timeout_seconds = 10;
};

class CliContext {
 public:
  GlobalOptions options;

  bool json() const { return options.output == "json"; }

  // The connected client, or nullptr after printing why (exit code in
  // `*exit_code`: kExitUsage for a bad option).
  std::unique_ptr<Client> Connect(int* exit_code) const;

  // Connects and returns body(client)'s exit code, or the connection
  // failure's (kExitUsage).
  int WithClient(const std::function<int(Client&)>& body) const;

  // Prints "sejf: CODE: message" on stderr; returns kExitRefused, or
  // kExitUsage for INVALID_ARGUMENT raised before any server contact.
  static int Fail(const absl::Status& status);
};

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_CLI_CONTEXT_H_
