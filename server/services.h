// The sejf.v1 services of sejfd over one environment and the domain: what
// the Daemon registers with its gRPC server, and what the in-process
// adapter tests register with theirs (server/testing/), so both serve the
// same wiring.
//
// Thread-safety: the services are thread-safe; RegisterWith is called once,
// before the server starts.
#ifndef SEJF_SERVER_SERVICES_H_
#define SEJF_SERVER_SERVICES_H_

#include <grpcpp/server_builder.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/domain_services.h"
#include "server/rpc_call.h"

namespace sejf::server {

class SejfServices {
 public:
  // Checks, once, what every handler relies on, so none checks again: every
  // domain service and env.policy, env.logger and env.audit are set
  // (FAILED_PRECONDITION naming the first that is not), and the frame can
  // name each method of each service (INTERNAL; rpc_method.h). `env` and
  // the domain objects must outlive the services.
  static absl::StatusOr<std::unique_ptr<SejfServices>> Create(
      const ServiceEnvironment& env, const DomainServices& domain);
  ~SejfServices();

  // Registers every service with `builder`, which must not outlive this.
  void RegisterWith(grpc::ServerBuilder& builder);

  // "sejf.v1.Identity", … : the full names of the services, from the
  // generated code.
  static std::vector<std::string> ServiceNames();

 private:
  struct Services;
  explicit SejfServices(std::unique_ptr<Services> services);

  std::unique_ptr<Services> services_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_SERVICES_H_
