#include "server/identity_service.h"

#include "common/version.h"

namespace sejf::server {

grpc::Status IdentityService::WhoAmI(grpc::ServerContext* context,
                                     const sejf::v1::WhoAmIRequest* request,
                                     sejf::v1::WhoAmIResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    response->set_identity(call.caller().identity);
    response->set_transport(call.caller().transport);
    for (Operation op :
         env_.policy->Get()->GrantedOperations(call.caller().identity)) {
      response->add_granted_operations(std::string(OperationName(op)));
    }
    response->set_server_version(kVersion);
    response->set_dev_mode(env_.dev_mode);
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
