// The frame around every RPC handler of sejfd (architecture §3):
//
//   caller identity → handler (validate, Authorize, act) → log line → status
//
// RunRpc resolves who is calling (TLS client certificate or unix peer uid),
// gives the handler an RpcCall to authorize with, catches any exception
// (→ INTERNAL), writes exactly one log line and maps the result to a
// grpc::Status. The request id is returned to the client in the trailing
// metadata "x-request-id".
#ifndef SEJF_SERVER_RPC_CALL_H_
#define SEJF_SERVER_RPC_CALL_H_

#include <grpcpp/server_context.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/grpc_status.h"
#include "server/logger.h"
#include "server/policy/operations.h"
#include "server/policy/policy_holder.h"
#include "server/tls/peer_identity_cache.h"
#include "vault/audit/audit_log.h"

namespace sejf::server {

// What every adapter shares; owned by the daemon, outlives the gRPC server.
// Thread-safety: read-only after start, except the PolicyHolder (itself
// thread-safe).
struct ServiceEnvironment {
  PolicyHolder* policy = nullptr;
  const Logger* logger = nullptr;
  // Absolute path of the unix socket ("" when there is none).
  std::string unix_socket_path;
  bool dev_mode = false;
  // Where every RPC's event goes; nullptr only in tests of the frame.
  vault::AuditLog* audit = nullptr;
  // Remembers the identities of client certificates already seen; nullptr
  // parses the certificate on every call.
  PeerIdentityCache* peer_identities = nullptr;
};

struct Caller {
  std::string identity;   // "admin", "spiffe://…", "unix:1000"
  std::string transport;  // "tls" or "unix"
};

// What an operation acts on, for the policy, the log and the audit.
struct AccessTarget {
  // e.g. "keys/acme-auth"; "" when the operation has no single resource.
  std::string resource;
  // The key or token name policy rules match ("acme-auth").
  std::optional<std::string> credential;
  // The KSeF context ("nip:5265877635").
  std::optional<std::string> context;
  // A short non-secret note for the audit event ("challenge 20261124-CR-…").
  std::string detail;
  // The request reaches beyond one context or credential (policy.h): only
  // an unscoped rule grants it.
  bool whole_vault = false;
};

// One RPC in progress. Not thread-safe; lives on the handler's stack.
class RpcCall {
 public:
  RpcCall(const ServiceEnvironment& env, const Caller& caller,
          std::string request_id);

  const Caller& caller() const { return caller_; }
  const std::string& request_id() const { return request_id_; }

  // Asks the policy whether the caller may do `operation` on `target`, and
  // records both for the log line. PERMISSION_DENIED naming the operation
  // (and the context/credential, which are not secret) when refused.
  absl::Status Authorize(Operation operation, AccessTarget target = {});

  // Whether policy would allow `operation` on `target`, without recording
  // anything (e.g. to filter a listing item by item).
  bool IsAllowed(Operation operation, const AccessTarget& target) const;

  // Set by Authorize; empty before.
  const std::optional<Operation>& operation() const { return operation_; }
  const AccessTarget& target() const { return target_; }

 private:
  const ServiceEnvironment& env_;
  Caller caller_;
  std::string request_id_;
  std::optional<Operation> operation_;
  AccessTarget target_;
};

// The caller of the RPC behind `context`: the TLS client certificate's
// identity, or `unix:<uid>` for the unix socket; UNAUTHENTICATED otherwise.
absl::StatusOr<Caller> ResolveCaller(const ServiceEnvironment& env,
                                     const grpc::ServerContext& context);

// Writes the one log line of a finished RPC.
void LogRpc(const ServiceEnvironment& env, absl::string_view method,
            const Caller* caller, const std::string& request_id,
            const RpcCall* call, const absl::Status& status,
            absl::Duration latency);

// Appends the audit event of a finished RPC (allowed or denied; identity,
// operation, resource, context, outcome — never a secret). Returns `status`
// when the event is stored. When it cannot be stored, an RPC that
// succeeded answers UNAVAILABLE instead, so no result leaves the service
// unrecorded; a failed RPC keeps its own status.
absl::Status AuditRpc(const ServiceEnvironment& env, absl::string_view method,
                      const Caller* caller, const std::string& request_id,
                      const RpcCall* call, absl::Status status);

std::string NewRequestId();

// Runs `handler(RpcCall&) -> absl::Status` inside the frame described above.
// `method` is the full gRPC method name ("/sejf.v1.Identity/WhoAmI").
template <typename Handler>
grpc::Status RunRpc(const ServiceEnvironment& env, grpc::ServerContext* context,
                    absl::string_view method, Handler&& handler) {
  const absl::Time start = absl::Now();
  std::string request_id = NewRequestId();
  context->AddTrailingMetadata("x-request-id", request_id);
  absl::Status status;
  absl::StatusOr<Caller> caller = ResolveCaller(env, *context);
  if (!caller.ok()) {
    status =
        AuditRpc(env, method, nullptr, request_id, nullptr, caller.status());
    LogRpc(env, method, nullptr, request_id, nullptr, status,
           absl::Now() - start);
    return ToGrpcStatus(status);
  }
  RpcCall call(env, *caller, request_id);
  try {
    status = handler(call);
  } catch (...) {
    status = absl::InternalError("internal error; see the server log for " +
                                 request_id);
  }
  status = AuditRpc(env, method, &*caller, request_id, &call, status);
  LogRpc(env, method, &*caller, request_id, &call, status, absl::Now() - start);
  return ToGrpcStatus(status);
}

}  // namespace sejf::server

#endif  // SEJF_SERVER_RPC_CALL_H_
