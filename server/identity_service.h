// sejf.v1.Identity: who the server takes the caller to be.
#ifndef SEJF_SERVER_IDENTITY_SERVICE_H_
#define SEJF_SERVER_IDENTITY_SERVICE_H_

#include "sejf/v1/identity.grpc.pb.h"
#include "server/rpc_call.h"

namespace sejf::server {

// Thread-safe (stateless beyond the shared environment).
class IdentityService final : public sejf::v1::Identity::Service {
 public:
  explicit IdentityService(const ServiceEnvironment& env) : env_(env) {}

  grpc::Status WhoAmI(grpc::ServerContext* context,
                      const sejf::v1::WhoAmIRequest* request,
                      sejf::v1::WhoAmIResponse* response) override;

 private:
  const ServiceEnvironment& env_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_IDENTITY_SERVICE_H_
