// The KsefSessions API for clients: one method per RPC, in client types
// (client/session_types.h), with the client's deadline; errors carry the
// server's code and message.
//
// GetAccessToken is the only call that returns a KSeF token: it comes back
// in SecretBytes, and the response's copy is wiped before the call returns.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_SESSIONS_API_H_
#define SEJF_CLIENT_SESSIONS_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/common_types.h"
#include "client/ksef_types.h"
#include "client/session_types.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace sejf::client {

class SessionsApi {
 public:
  SessionsApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~SessionsApi();

  // Runs the whole KSeF login; nothing is stored when it fails.
  absl::StatusOr<KsefSession> Open(const SessionOpening& opening);
  // `name` is the resource name, "sessions/{session}", here and below.
  absl::StatusOr<AccessToken> GetAccessToken(const std::string& name);
  absl::StatusOr<KsefSession> Get(const std::string& name);
  absl::StatusOr<Page<KsefSession>> ListPage(const PageRequest& page);
  // Every session the caller may see, following the pages.
  absl::StatusOr<std::vector<KsefSession>> ListAll();
  absl::StatusOr<KsefSession> Close(const std::string& name);
  // The certificates fetched from KSeF, as stored.
  absl::StatusOr<std::vector<MinistryCertificate>> FetchMinistryCertificates(
      const MinistryCertificateFetch& fetch);

 private:
  struct Stub;  // holds the generated stub
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_SESSIONS_API_H_
