#include "server/ksef_sessions_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/common_conversions.h"
#include "server/credential_access.h"
#include "server/enum_conversions.h"
#include "server/ksef_conversions.h"
#include "server/resource_names.h"
#include "server/session_access.h"
#include "server/session_conversions.h"

namespace sejf::server {
namespace {

// The credential of OpenSessionRequest.credential: "keys/{key}" or
// "tokens/{token}".
absl::Status CredentialFromResource(absl::string_view resource,
                                    broker::OpenSessionParams& params) {
  if (absl::StartsWith(resource, "tokens/")) {
    params.credential_kind = broker::SessionCredentialKind::kToken;
    ASSIGN_OR_RETURN(params.credential_name,
                     TokenNameFromResource(resource, "credential"));
    return absl::OkStatus();
  }
  if (absl::StartsWith(resource, "keys/")) {
    params.credential_kind = broker::SessionCredentialKind::kKey;
    ASSIGN_OR_RETURN(params.credential_name,
                     KeyNameFromResource(resource, "credential"));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "credential must be \"keys/{key}\" (a KSeF certificate's key, XAdES "
      "login) or \"tokens/{token}\" (a stored KSeF token)");
}

// OpenSessionParams's field names as the request's.
absl::Status AsRequestField(const absl::Status& status) {
  std::optional<std::string> field = TaggedField(status);
  if (!field) return status;
  if (*field == "name") return WithField("session_id", status);
  if (*field == "credential_name") return WithField("credential", status);
  return WithTaggedField(status);
}

}  // namespace

absl::StatusOr<broker::SessionInfo> KsefSessionsService::AuthorizedSession(
    RpcCall& call, const std::string& resource, Operation operation) {
  ASSIGN_OR_RETURN(std::string name, SessionNameFromResource(resource, "name"));
  // Before the lookup, so the answer to a caller no rule covers does not
  // depend on whether the session exists.
  RETURN_IF_ERROR(call.AuthorizeName(operation, SessionTarget(name)));
  absl::StatusOr<broker::SessionInfo> session = sessions_.Get(name);
  if (session.status().code() == absl::StatusCode::kNotFound) {
    return SessionNotFound(name);
  }
  if (!session.ok()) return session.status();
  RETURN_IF_ERROR(call.AuthorizeFound(
      operation, SessionTarget(name, session->context), SessionNotFound(name)));
  return session;
}

grpc::Status KsefSessionsService::OpenSession(
    grpc::ServerContext* context, const sejf::v1::OpenSessionRequest* request,
    sejf::v1::OpenSessionResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    broker::OpenSessionParams params;
    params.name = request->session_id();
    RETURN_IF_ERROR(CredentialFromResource(request->credential(), params));
    params.context = request->context();
    params.environment = request->environment();
    params.allowed_ips = AllowedIpsFromProto(request->allowed_ips());
    ASSIGN_OR_RETURN(
        params.subject_type,
        EnumOrDefault(request->subject_identifier_type(), SubjectTypeFromProto,
                      signer::SubjectIdentifierType::kCertificateSubject,
                      "subject_identifier_type"));
    RETURN_IF_ERROR(AsRequestField(sessions_.CheckOpen(params)));

    // The credential first: the session's own rule must not be enough to
    // log in with someone else's key or token. A refusal is recorded as
    // such (Authorize on the credential).
    AccessTarget credential =
        params.credential_kind == broker::SessionCredentialKind::kKey
            ? KeyTarget(params.credential_name, params.context)
            : TokenTarget(params.credential_name, params.context);
    if (!call.IsAllowed(Operation::kSessionsManage, credential)) {
      return call.Authorize(Operation::kSessionsManage, std::move(credential));
    }
    RETURN_IF_ERROR(call.Authorize(
        Operation::kSessionsManage,
        SessionTarget(params.name, params.context,
                      absl::StrCat("open with ", request->credential(), " in ",
                                   params.environment))));
    absl::StatusOr<broker::SessionInfo> session =
        sessions_.Open(params, CallerOf(call));
    if (!session.ok()) return AsRequestField(session.status());
    SessionToProto(*session, response->mutable_session());
    return absl::OkStatus();
  });
}

grpc::Status KsefSessionsService::GetAccessToken(
    grpc::ServerContext* context,
    const sejf::v1::GetAccessTokenRequest* request,
    sejf::v1::GetAccessTokenResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    broker::AccessToken token;
    ASSIGN_OR_RETURN(std::string name,
                     SessionNameFromResource(request->name(), "name"));
    // By name before anything is read (the cache included).
    RETURN_IF_ERROR(
        call.AuthorizeName(Operation::kSessionsToken, SessionTarget(name)));
    if (std::optional<broker::CachedAccess> cached =
            sessions_.CachedAccessToken(name)) {
      // The hot path: authorized in the context the cached token was
      // issued for, as AuthorizedSession would, without decrypting.
      RETURN_IF_ERROR(call.AuthorizeFound(Operation::kSessionsToken,
                                          SessionTarget(name, cached->context),
                                          SessionNotFound(name)));
      token = std::move(cached->token);
    } else {
      ASSIGN_OR_RETURN(
          broker::SessionInfo session,
          AuthorizedSession(call, request->name(), Operation::kSessionsToken));
      ASSIGN_OR_RETURN(token,
                       sessions_.GetAccessToken(session.name, CallerOf(call)));
    }
    // The one copy outside zeroing memory is the response message, which
    // gRPC serializes and frees.
    response->set_access_token(std::string(SecretView(token.token)));
    *response->mutable_valid_until() = ToTimestamp(token.valid_until);
    return absl::OkStatus();
  });
}

grpc::Status KsefSessionsService::GetSession(
    grpc::ServerContext* context, const sejf::v1::GetSessionRequest* request,
    sejf::v1::GetSessionResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(
        broker::SessionInfo session,
        AuthorizedSession(call, request->name(), Operation::kSessionsRead));
    SessionToProto(session, response->mutable_session());
    return absl::OkStatus();
  });
}

grpc::Status KsefSessionsService::ListSessions(
    grpc::ServerContext* context, const sejf::v1::ListSessionsRequest* request,
    sejf::v1::ListSessionsResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    RETURN_IF_ERROR(call.Authorize(Operation::kSessionsRead));
    absl::StatusOr<broker::SessionPage> page =
        sessions_.List(request->page_size(), request->page_token());
    if (!page.ok()) return WithTaggedField(page.status());
    for (const broker::SessionInfo& session : page->sessions) {
      // Only the sessions policy lets this caller read.
      if (!call.IsAllowed(Operation::kSessionsRead,
                          SessionTarget(session.name, session.context))) {
        continue;
      }
      SessionToProto(session, response->add_sessions());
    }
    response->set_next_page_token(page->next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status KsefSessionsService::CloseSession(
    grpc::ServerContext* context, const sejf::v1::CloseSessionRequest* request,
    sejf::v1::CloseSessionResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(
        broker::SessionInfo session,
        AuthorizedSession(call, request->name(), Operation::kSessionsManage));
    ASSIGN_OR_RETURN(session, sessions_.Close(session.name, CallerOf(call)));
    SessionToProto(session, response->mutable_session());
    return absl::OkStatus();
  });
}

grpc::Status KsefSessionsService::FetchMinistryCertificates(
    grpc::ServerContext* context,
    const sejf::v1::FetchMinistryCertificatesRequest* request,
    sejf::v1::FetchMinistryCertificatesResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    RETURN_IF_ERROR(WithField("environment", signer::ValidateEnvironmentName(
                                                 request->environment())));
    AccessTarget target;
    target.resource = absl::StrCat("environments/", request->environment(),
                                   "/ministryCertificates");
    target.detail = "fetch from KSeF";
    RETURN_IF_ERROR(call.Authorize(Operation::kMfcertsManage, target));
    std::vector<std::string> pins(request->pin_fingerprints().begin(),
                                  request->pin_fingerprints().end());
    absl::StatusOr<std::vector<signer::MinistryCertificate>> fetched =
        sessions_.FetchMinistryCertificates(request->environment(), pins,
                                            CallerOf(call));
    if (!fetched.ok()) return WithTaggedField(fetched.status());
    for (const signer::MinistryCertificate& c : *fetched) {
      MinistryCertificateToProto(c, response->add_certificates());
    }
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
