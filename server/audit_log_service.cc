#include "server/audit_log_service.h"

namespace sejf::server {

grpc::Status AuditLogService::ListEvents(grpc::ServerContext* context,
                                         const sejf::v1::ListEventsRequest*,
                                         sejf::v1::ListEventsResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.AuditLog/ListEvents",
                           Operation::kAuditRead);
}

grpc::Status AuditLogService::VerifyChain(grpc::ServerContext* context,
                                          const sejf::v1::VerifyChainRequest*,
                                          sejf::v1::VerifyChainResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.AuditLog/VerifyChain",
                           Operation::kAuditRead);
}

}  // namespace sejf::server
