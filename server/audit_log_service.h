// sejf.v1.AuditLog: the gRPC adapter over vault::AuditLog (ListEvents,
// VerifyChain; operation audit.read). Convert, authorize, call, convert
// back.
#ifndef SEJF_SERVER_AUDIT_LOG_SERVICE_H_
#define SEJF_SERVER_AUDIT_LOG_SERVICE_H_

#include "sejf/v1/audit_log.grpc.pb.h"
#include "server/rpc_call.h"

namespace sejf::server {

// Thread-safe (stateless beyond the shared environment, whose AuditLog —
// never null — is thread-safe).
class AuditLogService final : public sejf::v1::AuditLog::Service {
 public:
  explicit AuditLogService(const ServiceEnvironment& env) : env_(env) {}

  grpc::Status ListEvents(grpc::ServerContext* context,
                          const sejf::v1::ListEventsRequest* request,
                          sejf::v1::ListEventsResponse* response) override;
  grpc::Status VerifyChain(grpc::ServerContext* context,
                           const sejf::v1::VerifyChainRequest* request,
                           sejf::v1::VerifyChainResponse* response) override;

 private:
  const ServiceEnvironment& env_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_AUDIT_LOG_SERVICE_H_
