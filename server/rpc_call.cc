#include "server/rpc_call.h"

#include <grpcpp/security/auth_context.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/random.h"
#include "server/tls/peer_identity.h"
#include "server/unix_listener.h"

namespace sejf::server {

namespace {

AccessRequest RequestFor(const Caller& caller, Operation operation,
                         const AccessTarget& target) {
  AccessRequest request;
  request.identity = caller.identity;
  request.operation = operation;
  request.whole_vault = target.whole_vault;
  if (target.context) request.context = absl::string_view(*target.context);
  if (target.credential) {
    request.credential = absl::string_view(*target.credential);
  }
  return request;
}

}  // namespace

RpcCall::RpcCall(const ServiceEnvironment& env, const Caller& caller,
                 std::string request_id, absl::string_view method)
    : env_(env),
      caller_(caller),
      request_id_(std::move(request_id)),
      method_(method) {}

bool RpcCall::IsAllowed(Operation operation, const AccessTarget& target) const {
  return env_.policy->Get()
      ->Authorize(RequestFor(caller_, operation, target))
      .allowed;
}

bool RpcCall::Decide(Operation operation, AccessTarget target,
                     bool in_some_context) {
  operation_ = operation;
  target_ = std::move(target);
  rule_.clear();
  // The Policy owns the rule name: copy it while holding the Policy.
  std::shared_ptr<const Policy> policy = env_.policy->Get();
  AccessRequest request = RequestFor(caller_, operation, target_);
  Decision decision = in_some_context ? policy->AuthorizeInSomeContext(request)
                                      : policy->Authorize(request);
  if (decision.allowed) rule_ = std::string(decision.rule);
  if (!decision.allowed && env_.metrics != nullptr) {
    env_.metrics->OnPolicyDenial(OperationName(operation));
  }
  return decision.allowed;
}

absl::Status RpcCall::Denied() const {
  // The context is left out: it may be the record's, which the caller may
  // not know. The credential is the one the caller named.
  std::string what = absl::StrCat("operation ", OperationName(*operation_));
  if (target_.credential) {
    absl::StrAppend(&what, " on ", ClipEcho(*target_.credential));
  }
  return absl::PermissionDeniedError(absl::StrCat("policy does not allow ",
                                                  ClipEcho(caller_.identity),
                                                  " to perform ", what));
}

absl::Status RpcCall::RecordIntent() {
  if (!ChangesState(*operation_)) return absl::OkStatus();
  vault::AuditEvent intent = AuditEventOf(method_, &caller_, request_id_, this);
  intent.outcome = std::string(vault::kAuditOutcomeStarted);
  absl::StatusOr<std::int64_t> appended = env_.audit->Append(std::move(intent));
  if (appended.ok()) return absl::OkStatus();
  // A full disk stays RESOURCE_EXHAUSTED: repeating the call is no use
  // until space is freed. Anything else may pass: UNAVAILABLE.
  const absl::StatusCode code = absl::IsResourceExhausted(appended.status())
                                    ? absl::StatusCode::kResourceExhausted
                                    : absl::StatusCode::kUnavailable;
  return absl::Status(
      code,
      absl::StrCat("the audit log could not record the start of this call, so "
                   "nothing was changed (request ",
                   request_id_, "): ", appended.status().message()));
}

absl::Status RpcCall::Authorize(Operation operation, AccessTarget target) {
  if (!Decide(operation, std::move(target), /*in_some_context=*/false)) {
    return Denied();
  }
  return RecordIntent();
}

absl::Status RpcCall::AuthorizeName(Operation operation, AccessTarget target) {
  if (!Decide(operation, std::move(target), /*in_some_context=*/true)) {
    return Denied();
  }
  return absl::OkStatus();
}

absl::Status RpcCall::AuthorizeFound(Operation operation, AccessTarget target,
                                     absl::Status hidden) {
  if (!Decide(operation, std::move(target), /*in_some_context=*/false)) {
    absl::Status denied = Denied();
    if (target_.context) {
      // The real reason, for the log line and audit event only.
      denied = absl::PermissionDeniedError(absl::StrCat(
          denied.message(), " in context ", ClipEcho(*target_.context),
          " (answered as ", absl::StatusCodeToString(hidden.code()), ")"));
    }
    concealed_denial_ = std::move(denied);
    hidden_ = hidden;
    return hidden;
  }
  return RecordIntent();
}

absl::Status RpcCall::RecordedStatus(const absl::Status& answered) const {
  if (hidden_ && concealed_denial_ && answered == *hidden_) {
    return *concealed_denial_;
  }
  return answered;
}

absl::StatusOr<Caller> ResolveCaller(const ServiceEnvironment& env,
                                     const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> pems =
        auth->FindPropertyValues("x509_pem_cert");
    if (pems.empty()) {
      return absl::UnauthenticatedError("no client certificate presented");
    }
    absl::string_view pem(pems.front().data(), pems.front().size());
    absl::StatusOr<std::string> identity =
        env.peer_identities != nullptr ? env.peer_identities->Resolve(pem)
                                       : IdentityFromCertificatePem(pem);
    if (!identity.ok()) return identity.status();
    return Caller{*std::move(identity), "tls"};
  }
  if (!env.unix_socket_path.empty()) {
    std::optional<uid_t> uid =
        UnixPeerUid(context.peer(), env.unix_socket_path);
    if (uid) return Caller{UnixPeerIdentity(*uid), "unix"};
  }
  return absl::UnauthenticatedError(
      "caller has no identity: connect with a client certificate over TLS "
      "or through the unix socket");
}

vault::AuditEvent AuditEventOf(absl::string_view method, const Caller* caller,
                               const std::string& request_id,
                               const RpcCall* call) {
  vault::AuditEvent event;
  event.request_id = ClipEcho(request_id);
  // The identity comes from a certificate our CA issued, not from the
  // request: kept whole up to the audit field limit.
  event.identity = vault::ClipAuditField(
      caller != nullptr ? caller->identity : "-", vault::kMaxAuditFieldSize);
  // The method may be a client's invention (an unknown method).
  event.method = ClipEcho(method);
  event.operation = event.method;
  if (call != nullptr) {
    if (call->operation()) {
      event.operation = std::string(OperationName(*call->operation()));
    }
    event.resource = ClipEcho(call->target().resource);
    event.detail = vault::ClipAuditField(ClipEcho(call->target().detail),
                                         vault::kMaxAuditDetailSize);
    if (call->target().context) {
      event.context = ClipEcho(*call->target().context);
    }
    event.rule = ClipEcho(call->rule());
  }
  return event;
}

absl::Status AuditRpc(const ServiceEnvironment& env, absl::string_view method,
                      const Caller* caller, const std::string& request_id,
                      const RpcCall* call, absl::Status status) {
  vault::AuditEvent event = AuditEventOf(method, caller, request_id, call);
  event.outcome = absl::StatusCodeToString(status.code());
  absl::StatusOr<std::int64_t> appended = env.audit->Append(std::move(event));
  if (appended.ok() || !status.ok()) return status;
  // A call that changed state did change it: UNAVAILABLE, "may have
  // happened". One that changed nothing, refused for want of space, is
  // RESOURCE_EXHAUSTED like any out-of-space refusal.
  const bool changed = call != nullptr && call->operation().has_value() &&
                       ChangesState(*call->operation());
  const absl::StatusCode code =
      !changed && absl::IsResourceExhausted(appended.status())
          ? absl::StatusCode::kResourceExhausted
          : absl::StatusCode::kUnavailable;
  return absl::Status(
      code, absl::StrCat("the audit log could not record this call, so its "
                         "result is withheld (request ",
                         request_id, "): ", appended.status().message()));
}

std::string NewRequestId() { return RandomHex(8); }

absl::Status AdmitRpc(const ServiceEnvironment& env, absl::string_view method,
                      const Caller& caller, const std::string& request_id) {
  if (env.rate_limiter == nullptr) return absl::OkStatus();
  const RateDecision decision = env.rate_limiter->Admit(caller.identity);
  const RateLimit& limit = env.rate_limiter->limit();
  if (decision.allowed) {
    if (decision.refused_before > 0) {
      const std::string refused = absl::StrCat(decision.refused_before);
      env.logger->Log(LogLevel::kWarning, "rate_limit_ended",
                      {{"identity", ClipEcho(caller.identity)},
                       {"refused_calls", refused}});
    }
    return absl::OkStatus();
  }
  if (env.metrics != nullptr) {
    env.metrics->OnRateLimited(method);
    // The first refusal of a streak is counted by its LogRpc below.
    if (!decision.first_refusal) {
      env.metrics->OnRpc(method, absl::StatusCode::kResourceExhausted,
                         absl::ZeroDuration());
    }
  }
  const std::string retry_ms =
      absl::StrCat(absl::ToInt64Milliseconds(decision.retry_after));
  absl::Status limited = WithRetryDelay(
      absl::ResourceExhaustedError(absl::StrCat(
          "rate limit: ", ClipEcho(caller.identity), " may make ",
          limit.requests_per_second, " calls per second (bursts of ",
          limit.burst, "); retry after ", retry_ms, " ms")),
      decision.retry_after);
  if (decision.first_refusal) {
    // Once per streak: a flood must not flood the log and the audit log.
    limited = AuditRpc(env, method, &caller, request_id, nullptr, limited);
    LogRpc(env, method, &caller, request_id, nullptr, limited,
           absl::ZeroDuration());
  }
  return limited;
}

void LogRpc(const ServiceEnvironment& env, absl::string_view method,
            const Caller* caller, const std::string& request_id,
            const RpcCall* call, const absl::Status& status,
            absl::Duration latency) {
  std::string code = absl::StatusCodeToString(status.code());
  std::string latency_ms =
      absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(latency));
  absl::string_view identity =
      caller != nullptr ? absl::string_view(caller->identity) : "-";
  absl::string_view operation = "-";
  std::string resource = "-";
  std::string context = "-";
  std::string rule = "-";
  if (call != nullptr) {
    if (call->operation()) operation = OperationName(*call->operation());
    if (!call->target().resource.empty()) {
      resource = ClipEcho(call->target().resource);
    }
    if (call->target().context) context = ClipEcho(*call->target().context);
    if (!call->rule().empty()) rule = ClipEcho(call->rule());
  }
  const std::string method_echo = ClipEcho(method);
  LogLevel level = status.ok() ? LogLevel::kInfo : LogLevel::kWarning;
  if (status.code() == absl::StatusCode::kInternal) level = LogLevel::kError;
  const Logger::Field fields[] = {{"request_id", request_id},
                                  {"identity", identity},
                                  {"method", method_echo},
                                  {"operation", operation},
                                  {"resource", resource},
                                  {"context", context},
                                  {"rule", rule},
                                  {"code", code},
                                  {"latency_ms", latency_ms},
                                  {"error", status.message()}};
  if (env.metrics != nullptr)
    env.metrics->OnRpc(method, status.code(), latency);
  // The error field only for failures.
  env.logger->Log(level, "rpc",
                  absl::MakeConstSpan(fields, status.ok() ? 9 : 10));
}

}  // namespace sejf::server
