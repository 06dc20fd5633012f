// sejf::client::Client — the thin client library over sejfd's gRPC API.
//
// Connects over the unix socket ("unix:PATH") or mutual TLS ("HOST:PORT"
// with a CA, a client certificate and its key). Methods take and return the
// client's own types (client/*_types.h) and absl::Status with the server's
// gRPC code and message; the stubs and the API's messages stay inside
// client/*.cc, so callers never include generated proto code.
//
// Thread-safety: a Client may be used from several threads at once.
#ifndef SEJF_CLIENT_CLIENT_H_
#define SEJF_CLIENT_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/audit_api.h"
#include "client/dropoff_api.h"
#include "client/keys_api.h"
#include "client/ksef_api.h"
#include "client/sessions_api.h"
#include "client/tokens_api.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace sejf::client {

struct ConnectOptions {
  // "unix:PATH" (relative or absolute) or "HOST:PORT".
  std::string address;
  // For HOST:PORT: PEM files of the CA that issued the server's certificate,
  // and of the client's certificate and private key (the key file must not
  // be readable by group or others).
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Deadline of each call.
  absl::Duration timeout = absl::Seconds(10);
};

struct CallerIdentity {
  std::string identity;
  std::string transport;
  std::vector<std::string> granted_operations;
  std::string server_version;
  bool dev_mode = false;
};

class Client {
 public:
  // INVALID_ARGUMENT for an unusable address or missing TLS files (naming
  // the option); does not contact the server yet.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(
      const ConnectOptions& options);
  // A client over a channel made elsewhere (an in-process server in tests),
  // each call with `timeout`.
  static std::unique_ptr<Client> ForChannel(
      std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~Client();

  // True when the server's gRPC health service says SERVING.
  absl::StatusOr<bool> IsServing();

  // Who the server takes this client to be, and what policy grants it.
  absl::StatusOr<CallerIdentity> WhoAmI();

  // The per-service APIs, valid as long as the Client.
  KeysApi& keys() { return *keys_; }
  AuditApi& audit() { return *audit_; }
  KsefApi& ksef() { return *ksef_; }
  TokensApi& tokens() { return *tokens_; }
  SessionsApi& sessions() { return *sessions_; }
  DropoffApi& dropoff() { return *dropoff_; }  // issue 15

 private:
  struct Stubs;
  Client(std::unique_ptr<Stubs> stubs, absl::Duration timeout);

  std::unique_ptr<Stubs> stubs_;
  absl::Duration timeout_;
  std::unique_ptr<KeysApi> keys_;
  std::unique_ptr<AuditApi> audit_;
  std::unique_ptr<KsefApi> ksef_;
  std::unique_ptr<TokensApi> tokens_;
  std::unique_ptr<SessionsApi> sessions_;
  std::unique_ptr<DropoffApi> dropoff_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_CLIENT_H_
