// The frame around every RPC handler of sejfd (architecture §3):
//
//   caller identity → handler (validate, Authorize, act) → audit event
//                   → log line → status
//
// RunRpc resolves who is calling (env.resolve_caller: the TLS client
// certificate or the unix peer uid), gives the handler an RpcCall to
// authorize with, catches any exception (→ INTERNAL), appends the audit
// event, writes exactly one log line and maps the result to a grpc::Status. The
// request id is returned to the client in the trailing metadata "x-request-id".
//
// Guarantees the frame gives every handler (issue 11):
//   - Intent before change: when Authorize allows an operation that
//     ChangesState (operations.h), it first makes an intent event (outcome
//     STARTED, same request id, the deciding rule) durable, and refuses with
//     UNAVAILABLE when it cannot (RESOURCE_EXHAUSTED when the store is out
//     of space: a retry needs space freed first). So a crash between a
//     committed change and its result event still leaves the change audited.
//   - Quiet refusals: denial messages name the identity, the operation and
//     the (clipped) credential the caller asked for, never a KSeF context.
//     AuthorizeName/AuthorizeFound let a handler authorize by name before a
//     lookup and answer "not yours" exactly as "missing"; the log line and
//     the audit event keep the real reason.
//   - Bounded echoes: every caller-supplied value in the log line and the
//     audit event goes through ClipEcho (common/echo.h).
//   - The deciding rule's name is in the audit event and the log line.
//   - Rate limits (rate_limiter.h): with env.rate_limiter set, a caller over
//     its identity's rate gets RESOURCE_EXHAUSTED before the handler runs,
//     with the retry delay in the message and as google.rpc.RetryInfo. Only
//     the first refusal of a streak is logged and audited; the call that
//     ends the streak logs how many were refused.
#ifndef SEJF_SERVER_RPC_CALL_H_
#define SEJF_SERVER_RPC_CALL_H_

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/echo.h"
#include "server/grpc_status.h"
#include "server/logger.h"
#include "server/policy/operations.h"
#include "server/policy/policy_holder.h"
#include "server/rate_limiter.h"
#include "server/rpc_method.h"
#include "server/rpc_metrics.h"
#include "server/tls/peer_identity_cache.h"
#include "vault/audit/audit_log.h"

namespace sejf::server {

struct Caller {
  std::string identity;   // "admin", "spiffe://…", "unix:1000"
  std::string transport;  // "tls" or "unix"
};

struct ServiceEnvironment;

// The caller of the RPC behind `context`: the TLS client certificate's
// identity, or `unix:<uid>` for the unix socket; UNAUTHENTICATED otherwise.
absl::StatusOr<Caller> ResolveCaller(const ServiceEnvironment& env,
                                     const grpc::ServerContextBase& context);

// What every adapter shares; owned by the daemon, outlives the gRPC server.
// policy, logger and audit are never null (SejfServices::Create checks).
// Thread-safety: read-only after start, except the PolicyHolder (itself
// thread-safe).
struct ServiceEnvironment {
  PolicyHolder* policy = nullptr;
  const Logger* logger = nullptr;
  // Absolute path of the unix socket ("" when there is none).
  std::string unix_socket_path;
  bool dev_mode = false;
  // Where every RPC's event goes.
  vault::AuditLog* audit = nullptr;
  // Remembers the identities of client certificates already seen; nullptr
  // parses the certificate on every call.
  PeerIdentityCache* peer_identities = nullptr;
  // Who is calling (RunRpc and the call interceptor ask it). Always
  // ResolveCaller in sejfd; the seam for in-process tests, whose channel
  // has neither a TLS peer nor a unix socket (server/testing/).
  absl::StatusOr<Caller> (*resolve_caller)(
      const ServiceEnvironment& env,
      const grpc::ServerContextBase& context) = &ResolveCaller;
  // Per-identity rate limits; nullptr: none.
  RateLimiter* rate_limiter = nullptr;
  // Where every call, denial and rate-limit refusal is counted (LogRpc,
  // Authorize, AdmitRpc); nullptr: not counted.
  RpcMetrics* metrics = nullptr;
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
          std::string request_id, absl::string_view method = "");

  const Caller& caller() const { return caller_; }
  const std::string& request_id() const { return request_id_; }

  // Asks the policy whether the caller may do `operation` on `target`, and
  // records both (and the deciding rule) for the log line and audit event.
  // PERMISSION_DENIED naming the identity, the operation and the target's
  // credential (clipped) when refused — never the context. When allowed and
  // ChangesState(operation), writes the intent event first (see above);
  // UNAVAILABLE (RESOURCE_EXHAUSTED: out of space) when it cannot be stored
  // (nothing may change then).
  absl::Status Authorize(Operation operation, AccessTarget target = {});

  // The first step for a record that is looked up by name: may the caller
  // do `operation` on target.credential in at least one context
  // (Policy::AuthorizeInSomeContext)? Call it BEFORE the lookup, so the
  // answer is the same whether or not the record exists. PERMISSION_DENIED
  // as Authorize when no rule could allow it. Writes no intent event: call
  // AuthorizeFound after the lookup.
  absl::Status AuthorizeName(Operation operation, AccessTarget target);

  // The second step, after the lookup, with the record's context in
  // `target`: Authorize, except that a refusal answers `hidden` — the status
  // the caller gets when the record does not exist (NOT_FOUND) — so "not
  // yours" and "missing" cannot be told apart. The log line and audit event
  // record PERMISSION_DENIED and the real reason.
  absl::Status AuthorizeFound(Operation operation, AccessTarget target,
                              absl::Status hidden);

  // What the log line and the audit event record for a handler that
  // returned `answered`: the concealed denial when `answered` is the status
  // AuthorizeFound answered in its place, else `answered`.
  absl::Status RecordedStatus(const absl::Status& answered) const;

  // Whether policy would allow `operation` on `target`, without recording
  // anything (e.g. to filter a listing item by item).
  bool IsAllowed(Operation operation, const AccessTarget& target) const;

  // Set by Authorize; empty before.
  const std::optional<Operation>& operation() const { return operation_; }
  const AccessTarget& target() const { return target_; }
  // The name of the rule that allowed the operation; empty when denied or
  // before Authorize.
  const std::string& rule() const { return rule_; }

 private:
  // Records operation and target; the decision's rule when allowed.
  bool Decide(Operation operation, AccessTarget target, bool in_some_context);
  absl::Status Denied() const;
  // The intent event, when `operation_` changes state.
  absl::Status RecordIntent();

  const ServiceEnvironment& env_;
  Caller caller_;
  std::string request_id_;
  std::string method_;
  std::optional<Operation> operation_;
  AccessTarget target_;
  std::string rule_;
  // Set by AuthorizeFound when it hid a denial: what it answered, and what
  // is recorded instead.
  std::optional<absl::Status> hidden_;
  std::optional<absl::Status> concealed_denial_;
};

// Writes the one log line of a finished RPC, and counts it in env.metrics.
void LogRpc(const ServiceEnvironment& env, absl::string_view method,
            const Caller* caller, const std::string& request_id,
            const RpcCall* call, const absl::Status& status,
            absl::Duration latency);

// The audit event of an RPC without its outcome: identity, method,
// operation, resource, context, detail and rule from `call` (nullptr: none),
// each caller-supplied value clipped (ClipEcho).
vault::AuditEvent AuditEventOf(absl::string_view method, const Caller* caller,
                               const std::string& request_id,
                               const RpcCall* call);

// Appends the audit event of a finished RPC (allowed or denied; identity,
// operation, resource, context, outcome — never a secret). Returns `status`
// when the event is stored. When it cannot be stored, an RPC that
// succeeded answers UNAVAILABLE instead, so no result leaves the service
// unrecorded; a failed RPC keeps its own status.
absl::Status AuditRpc(const ServiceEnvironment& env, absl::string_view method,
                      const Caller* caller, const std::string& request_id,
                      const RpcCall* call, absl::Status status);

std::string NewRequestId();

// The frame's rate-limit step for `caller`: OK when the call may go on;
// RESOURCE_EXHAUSTED with the retry delay (WithRetryDelay) when the
// caller's identity is over its rate. Logs and audits the first refusal of
// a streak, and logs the size of a streak when it ends.
absl::Status AdmitRpc(const ServiceEnvironment& env, absl::string_view method,
                      const Caller& caller, const std::string& request_id);

// The frame of RunRpc for a caller already resolved (or the error resolving
// it): what RunRpc does after ResolveCaller. Separate so the frame can be
// tested in-process with a given caller (rpc_call_test.cc).
template <typename Handler>
grpc::Status RunRpcAs(const ServiceEnvironment& env,
                      grpc::ServerContextBase* context,
                      absl::string_view method,
                      const absl::StatusOr<Caller>& caller, Handler&& handler) {
  const absl::Time start = absl::Now();
  std::string request_id = NewRequestId();
  context->AddTrailingMetadata("x-request-id", request_id);
  absl::Status status;
  if (!caller.ok()) {
    status =
        AuditRpc(env, method, nullptr, request_id, nullptr, caller.status());
    LogRpc(env, method, nullptr, request_id, nullptr, status,
           absl::Now() - start);
    return ToGrpcStatus(status);
  }
  if (absl::Status admitted = AdmitRpc(env, method, *caller, request_id);
      !admitted.ok()) {
    return ToGrpcStatus(admitted);
  }
  RpcCall call(env, *caller, request_id, method);
  try {
    status = handler(call);
  } catch (...) {
    status = absl::InternalError("internal error; see the server log for " +
                                 request_id);
  }
  // A hidden denial is recorded as what it was, and answered as NOT_FOUND.
  absl::Status recorded = call.RecordedStatus(status);
  absl::Status audited =
      AuditRpc(env, method, &*caller, request_id, &call, recorded);
  if (recorded.ok() && !audited.ok()) {  // the result is withheld
    status = audited;
    recorded = audited;
  }
  LogRpc(env, method, &*caller, request_id, &call, recorded,
         absl::Now() - start);
  return ToGrpcStatus(status);
}

// Runs `handler(RpcCall&) -> absl::Status` inside the frame described above,
// for the handler of the method whose request message is `request`: the
// method's full name ("/sejf.v1.Identity/WhoAmI", for the log line and the
// audit event) comes from the generated descriptors (rpc_method.h).
template <typename Handler>
grpc::Status RunRpc(const ServiceEnvironment& env, grpc::ServerContext* context,
                    const google::protobuf::Message& request,
                    Handler&& handler) {
  return RunRpcAs(env, context, RpcMethodOf(*request.GetDescriptor()),
                  env.resolve_caller(env, *context),
                  std::forward<Handler>(handler));
}

}  // namespace sejf::server

#endif  // SEJF_SERVER_RPC_CALL_H_
