#include "server/rpc_call.h"

#include <grpcpp/security/auth_context.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/random.h"
#include "server/tls/peer_identity.h"
#include "server/unix_listener.h"

namespace sejf::server {

RpcCall::RpcCall(const ServiceEnvironment& env, const Caller& caller,
                 std::string request_id)
    : env_(env), caller_(caller), request_id_(std::move(request_id)) {}

bool RpcCall::IsAllowed(Operation operation, const AccessTarget& target) const {
  AccessRequest request;
  request.identity = caller_.identity;
  request.operation = operation;
  request.whole_vault = target.whole_vault;
  if (target.context) request.context = absl::string_view(*target.context);
  if (target.credential) {
    request.credential = absl::string_view(*target.credential);
  }
  return env_.policy->Get()->Authorize(request).allowed;
}

absl::Status RpcCall::Authorize(Operation operation, AccessTarget target) {
  operation_ = operation;
  target_ = std::move(target);
  if (IsAllowed(operation, target_)) return absl::OkStatus();

  std::string what = absl::StrCat("operation ", OperationName(operation));
  if (target_.credential) absl::StrAppend(&what, " on ", *target_.credential);
  if (target_.context) absl::StrAppend(&what, " in context ", *target_.context);
  return absl::PermissionDeniedError(absl::StrCat(
      "policy does not allow ", caller_.identity, " to perform ", what));
}

absl::StatusOr<Caller> ResolveCaller(const ServiceEnvironment& env,
                                     const grpc::ServerContext& context) {
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

absl::Status AuditRpc(const ServiceEnvironment& env, absl::string_view method,
                      const Caller* caller, const std::string& request_id,
                      const RpcCall* call, absl::Status status) {
  if (env.audit == nullptr) return status;
  vault::AuditEvent event;
  event.request_id = request_id;
  event.identity = vault::ClipAuditField(
      caller != nullptr ? caller->identity : "-", vault::kMaxAuditFieldSize);
  event.method = vault::ClipAuditField(method, vault::kMaxAuditFieldSize);
  event.operation = std::string(method);
  if (call != nullptr) {
    if (call->operation()) {
      event.operation = std::string(OperationName(*call->operation()));
    }
    event.resource = vault::ClipAuditField(call->target().resource,
                                           vault::kMaxAuditFieldSize);
    event.detail = vault::ClipAuditField(call->target().detail,
                                         vault::kMaxAuditDetailSize);
    if (call->target().context) {
      event.context = vault::ClipAuditField(*call->target().context,
                                            vault::kMaxAuditFieldSize);
    }
  }
  event.operation =
      vault::ClipAuditField(event.operation, vault::kMaxAuditFieldSize);
  event.outcome = absl::StatusCodeToString(status.code());
  absl::StatusOr<std::int64_t> appended = env.audit->Append(std::move(event));
  if (appended.ok() || !status.ok()) return status;
  return absl::UnavailableError(absl::StrCat(
      "the audit log could not record this call, so its result is withheld "
      "(request ",
      request_id, "): ", appended.status().message()));
}

std::string NewRequestId() { return RandomHex(8); }

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
  absl::string_view resource = "-";
  absl::string_view context = "-";
  if (call != nullptr) {
    if (call->operation()) operation = OperationName(*call->operation());
    if (!call->target().resource.empty()) resource = call->target().resource;
    if (call->target().context) context = *call->target().context;
  }
  LogLevel level = status.ok() ? LogLevel::kInfo : LogLevel::kWarning;
  if (status.code() == absl::StatusCode::kInternal) level = LogLevel::kError;
  const Logger::Field fields[] = {{"request_id", request_id},
                                  {"identity", identity},
                                  {"method", method},
                                  {"operation", operation},
                                  {"resource", resource},
                                  {"context", context},
                                  {"code", code},
                                  {"latency_ms", latency_ms},
                                  {"error", status.message()}};
  // The error field only for failures.
  env.logger->Log(level, "rpc",
                  absl::MakeConstSpan(fields, status.ok() ? 8 : 9));
}

}  // namespace sejf::server
