// TokenVaultService's KSeF side (issue 14; docs/lifecycle-tokens.md):
// CreateTokenInKsef, CheckTokenInKsef, and DestroyToken with revoke_in_ksef.
// The domain (broker::KsefTokens) judges the request; this converts and
// authorizes.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/credential_access.h"
#include "server/enum_conversions.h"
#include "server/resource_names.h"
#include "server/token_conversions.h"
#include "server/token_vault_service.h"

namespace sejf::server {
namespace {

// CreateKsefTokenParams's field names as the request's.
absl::Status AsRequestField(const absl::Status& status) {
  std::optional<std::string> field = TaggedField(status);
  if (!field) return status;
  if (*field == "name") return WithField("token_id", status);
  return WithTaggedField(status);
}

absl::Status SessionNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("session \"", name, "\" not found"));
}

broker::SessionCaller CallerOf(const RpcCall& call) {
  return {.request_id = call.request_id(), .identity = call.caller().identity};
}

}  // namespace

grpc::Status TokenVaultService::CreateTokenInKsef(
    grpc::ServerContext* context,
    const sejf::v1::CreateTokenInKsefRequest* request,
    sejf::v1::CreateTokenInKsefResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    broker::CreateKsefTokenParams params;
    params.name = request->token_id();
    ASSIGN_OR_RETURN(params.session,
                     SessionNameFromResource(request->session(), "session"));
    for (int i = 0; i < request->permissions_size(); ++i) {
      ASSIGN_OR_RETURN(
          vault::TokenPermission permission,
          RequiredEnum(request->permissions(i), PermissionFromProto,
                       absl::StrCat("permissions[", i, "]")));
      params.permissions.push_back(permission);
    }
    params.description = request->description();
    RETURN_IF_ERROR(AsRequestField(ksef_tokens_.CheckCreate(params)));

    // The new token lives in the session's context: the caller may create
    // tokens by that name at all (before the lookup), then in that context
    // (a session of another tenant is answered as a missing one).
    RETURN_IF_ERROR(
        call.AuthorizeName(Operation::kTokensCreate, TokenTarget(params.name)));
    absl::StatusOr<broker::SessionInfo> session =
        ksef_tokens_.Session(params.session);
    if (absl::IsNotFound(session.status())) {
      return SessionNotFound(params.session);
    }
    if (!session.ok()) return session.status();
    RETURN_IF_ERROR(call.AuthorizeFound(
        Operation::kTokensCreate,
        TokenTarget(
            params.name, session->context,
            absl::StrCat("create in KSeF through sessions/", params.session)),
        SessionNotFound(params.session)));
    ASSIGN_OR_RETURN(vault::Token token,
                     ksef_tokens_.Create(params, CallerOf(call)));
    TokenToProto(token, response->mutable_token());
    return absl::OkStatus();
  });
}

grpc::Status TokenVaultService::CheckTokenInKsef(
    grpc::ServerContext* context,
    const sejf::v1::CheckTokenInKsefRequest* request,
    sejf::v1::CheckTokenInKsefResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(std::string name,
                     TokenNameFromResource(request->name(), "name"));
    ASSIGN_OR_RETURN(
        vault::Token token,
        FindAuthorizedToken(call, tokens_, name, Operation::kTokensManage, {},
                            "status check in KSeF"));
    ASSIGN_OR_RETURN(token,
                     ksef_tokens_.CheckStatus(token.name, CallerOf(call)));
    TokenToProto(token, response->mutable_token());
    return absl::OkStatus();
  });
}

grpc::Status TokenVaultService::DestroyRevokingInKsef(
    grpc::ServerContext* context, const sejf::v1::DestroyTokenRequest& request,
    sejf::v1::DestroyTokenResponse* response) {
  return RunRpc(env_, context, request, [&](RpcCall& call) -> absl::Status {
    if (!request.revoke_in_ksef()) {
      return WithField("session",
                       absl::InvalidArgumentError("session is used only with "
                                                  "revoke_in_ksef"));
    }
    if (request.session().empty()) {
      return WithField(
          "session",
          absl::InvalidArgumentError(
              "revoke_in_ksef needs a session (\"sessions/{session}\") in "
              "the token's context to call KSeF through"));
    }
    ASSIGN_OR_RETURN(std::string session,
                     SessionNameFromResource(request.session(), "session"));
    ASSIGN_OR_RETURN(std::string name,
                     TokenNameFromResource(request.name(), "name"));
    ASSIGN_OR_RETURN(
        vault::Token token,
        FindAuthorizedToken(
            call, tokens_, name, Operation::kTokensManage, {},
            absl::StrCat("revoke in KSeF through sessions/", session)));
    // The session the caller names is read only now, with the token
    // authorized; one in a context where the caller may not manage this
    // token is answered as a missing one (its context is not revealed).
    absl::StatusOr<broker::SessionInfo> through = ksef_tokens_.Session(session);
    if (absl::IsNotFound(through.status())) return SessionNotFound(session);
    if (!through.ok()) return through.status();
    const AccessTarget in_session =
        TokenTarget(name, through->context,
                    absl::StrCat("revoke in KSeF through sessions/", session));
    if (through->context != token.record.context &&
        !call.IsAllowed(Operation::kTokensManage, in_session)) {
      return call.AuthorizeFound(Operation::kTokensManage, in_session,
                                 SessionNotFound(session));
    }
    ASSIGN_OR_RETURN(token, ksef_tokens_.DestroyWithRevoke(token.name, session,
                                                           CallerOf(call)));
    TokenToProto(token, response->mutable_token());
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
