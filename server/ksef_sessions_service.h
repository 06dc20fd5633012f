// sejf.v1.KsefSessions: the gRPC adapter over broker::KsefSessions (standing
// KSeF logins, docs/sessions.md). Each handler converts the request, has
// the domain check it (KsefSessions::CheckOpen), asks the policy, calls the
// domain and converts back:
//   OpenSession      sessions.manage on the session (its name as the
//                    credential, its context) AND on the key or token it
//                    logs in with — a rule for the session alone cannot
//                    put someone else's credential to use;
//   GetAccessToken   sessions.token, GetSession sessions.read, CloseSession
//                    sessions.manage: looked up by name, a session in a
//                    context the caller's rules do not reach is answered
//                    exactly as a missing one (rpc_call.h, quiet refusals);
//   ListSessions     sessions.read, only the sessions the caller may read;
//   FetchMinistryCertificates mfcerts.manage (whole vault).
// GetAccessToken's response is the only place a KSeF token leaves sejfd;
// no other response, log line or audit event carries one.
#ifndef SEJF_SERVER_KSEF_SESSIONS_SERVICE_H_
#define SEJF_SERVER_KSEF_SESSIONS_SERVICE_H_

#include "broker/sessions/ksef_sessions.h"
#include "sejf/v1/ksef_sessions.grpc.pb.h"
#include "server/rpc_call.h"

namespace sejf::server {

// Thread-safe (stateless beyond the shared environment).
class KsefSessionsService final : public sejf::v1::KsefSessions::Service {
 public:
  // `env` and `sessions` must outlive the service.
  KsefSessionsService(const ServiceEnvironment& env,
                      broker::KsefSessions& sessions)
      : env_(env), sessions_(sessions) {}

  grpc::Status OpenSession(grpc::ServerContext* context,
                           const sejf::v1::OpenSessionRequest* request,
                           sejf::v1::OpenSessionResponse* response) override;
  grpc::Status GetAccessToken(
      grpc::ServerContext* context,
      const sejf::v1::GetAccessTokenRequest* request,
      sejf::v1::GetAccessTokenResponse* response) override;
  grpc::Status GetSession(grpc::ServerContext* context,
                          const sejf::v1::GetSessionRequest* request,
                          sejf::v1::GetSessionResponse* response) override;
  grpc::Status ListSessions(grpc::ServerContext* context,
                            const sejf::v1::ListSessionsRequest* request,
                            sejf::v1::ListSessionsResponse* response) override;
  grpc::Status CloseSession(grpc::ServerContext* context,
                            const sejf::v1::CloseSessionRequest* request,
                            sejf::v1::CloseSessionResponse* response) override;
  grpc::Status FetchMinistryCertificates(
      grpc::ServerContext* context,
      const sejf::v1::FetchMinistryCertificatesRequest* request,
      sejf::v1::FetchMinistryCertificatesResponse* response) override;

 private:
  // The session of request field `field` ("sessions/{name}"), authorized
  // for `operation` by name before the lookup and in its own context after
  // it; NOT_FOUND alike for a missing session and one the caller's rules do
  // not reach.
  absl::StatusOr<broker::SessionInfo> AuthorizedSession(
      RpcCall& call, const std::string& resource, Operation operation);

  const ServiceEnvironment& env_;
  broker::KsefSessions& sessions_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_KSEF_SESSIONS_SERVICE_H_
