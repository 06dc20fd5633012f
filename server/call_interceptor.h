// The interceptor that sees every call reaching sejfd, including the calls
// no handler of ours runs for (issue 11, #9):
//
//   - a request that does not parse as the method's request message (broken
//     protobuf, or a string field that is not valid UTF-8): gRPC answers
//     INTERNAL before any handler runs; we answer INVALID_ARGUMENT;
//   - an unknown method: gRPC answers UNIMPLEMENTED; we keep that;
//   - a call gRPC itself refuses (e.g. RESOURCE_EXHAUSTED): kept.
//
// For each such call it does what RunRpc (rpc_call.h) does for the others:
// one log line, an audit event when the caller is authenticated (a client
// certificate, or the unix socket), and a request id in the trailing
// metadata "x-request-id". A call RunRpc handled is recognised by the
// x-request-id the frame already added, and left alone, so every call is
// logged and audited exactly once.
//
// The health and reflection services (gRPC's own) do not use RunRpc: their
// calls get a log line only, and an audit event only when they fail — they
// read nothing from the vault, and probes every few seconds would otherwise
// fill the audit log, which is kept forever.
//
// Blocking: the audit append waits for its event to be durable (a group
// commit). gRPC 1.51 runs unknown methods through its callback generic
// service when the server has callback methods (the default health service
// is one), so there this wait happens on a gRPC callback thread. It is
// bounded by one commit and only on error paths of authenticated callers;
// an executor of our own would remove it (not done).
//
// Thread-safety: the factory is thread-safe (read-only); each interceptor
// belongs to one call.
#ifndef SEJF_SERVER_CALL_INTERCEPTOR_H_
#define SEJF_SERVER_CALL_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include "server/rpc_call.h"

namespace sejf::server {

class CallInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `env` must outlive the server.
  explicit CallInterceptorFactory(const ServiceEnvironment* env) : env_(env) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  const ServiceEnvironment* env_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_CALL_INTERCEPTOR_H_
