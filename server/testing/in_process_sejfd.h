// For adapter tests: sejfd's real RPC services in this process, without a
// subprocess, TLS or a socket. The services (SejfServices, the same wiring
// the Daemon registers) and the call interceptor run on a gRPC server that
// is reached through grpc::Server::InProcessChannel; behind them is the real
// domain in memory: MemoryStorage, the FakeKeyStore standing in for the
// HSM, the audit log, keyring, token vault, key custody, XAdES and QR
// signers, Ministry certificate store (no configured trust: imports need
// operator pins) and token encryptor, all on one FakeClock at kTestNow.
//
// An in-process channel has no TLS peer and no unix socket, so the caller is
// the identity the client names in the metadata "x-test-identity"
// (CallAs): TestCaller, installed through ServiceEnvironment::resolve_caller,
// which sejfd never sets. A call without that metadata is UNAUTHENTICATED,
// as an anonymous one is in sejfd.
//
//   auto sejfd = InProcessSejfd::Start({AllowRule("erp", {"keys.*"})});
//   sejf::v1::KeyCustody::Stub keys((*sejfd)->channel());
//   auto context = CallAs("erp");
//   grpc::Status s = keys.GenerateKey(context.get(), request, &response);
//
// Thread-safety: the channel may be used from any thread; Start and the
// destructor from one.
#ifndef SEJF_SERVER_TESTING_IN_PROCESS_SEJFD_H_
#define SEJF_SERVER_TESTING_IN_PROCESS_SEJFD_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/policy/policy.h"
#include "server/policy/policy_holder.h"
#include "server/rpc_call.h"
#include "vault/audit/audit_event.h"

namespace sejf::broker::testing {
class FakeKsefApi;
}  // namespace sejf::broker::testing

namespace sejf::server::testing {

// The fixed time of the domain's clock: 2026-06-01T12:00:00Z.
inline constexpr std::int64_t kTestNowUnixSeconds = 1780315200;
inline absl::Time TestNow() {
  return absl::FromUnixSeconds(kTestNowUnixSeconds);
}

// The metadata key naming the caller of an in-process call.
inline constexpr char kTestIdentityKey[] = "x-test-identity";

// The caller named by kTestIdentityKey (transport "test"); UNAUTHENTICATED
// without it.
absl::StatusOr<Caller> TestCaller(const ServiceEnvironment& env,
                                  const grpc::ServerContextBase& context);

// A client context whose calls come from `identity`.
std::unique_ptr<grpc::ClientContext> CallAs(const std::string& identity);

// A rule named `identity`-rule granting `operations` (patterns as in
// policy rules) to `identity` in every context, on every credential.
PolicyRule AllowRule(const std::string& identity,
                     std::vector<std::string> operations);

class InProcessSejfd {
 public:
  // Starts the services with a policy of `rules`. Errors of the domain
  // parts or of the policy.
  static absl::StatusOr<std::unique_ptr<InProcessSejfd>> Start(
      std::vector<PolicyRule> rules);
  // Stops the server (waiting for calls in flight), then the domain.
  ~InProcessSejfd();

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  FakeClock& clock();
  // KSeF environment "test" of the sessions (broker/sessions/testing).
  broker::testing::FakeKsefApi& ksef();
  // Every event stored so far, oldest first.
  std::vector<vault::AuditEvent> AuditEvents() const;

 private:
  struct Parts;
  InProcessSejfd();

  std::unique_ptr<Parts> parts_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace sejf::server::testing

#endif  // SEJF_SERVER_TESTING_IN_PROCESS_SEJFD_H_
