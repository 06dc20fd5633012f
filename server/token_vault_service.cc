#include "server/token_vault_service.h"

#include <google/protobuf/util/time_util.h>
#include <sodium.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/secret.h"
#include "common/status_macros.h"
#include "server/key_conversions.h"
#include "server/resource_names.h"
#include "server/token_conversions.h"
#include "vault/records/credential_name.h"

namespace sejf::server {
namespace {

AccessTarget TokenTarget(const std::string& name,
                         std::optional<std::string> context) {
  AccessTarget target;
  target.resource = absl::StrCat("tokens/", name);
  target.credential = name;
  target.context = std::move(context);
  return target;
}

// Moves the secret out of request field `field` into a zeroing buffer and
// wipes the message's copy. gRPC owns the request and reads it no more once
// the handler runs, so writing through the const pointer is safe.
SecretBytes TakeSecret(const std::string& field_value) {
  std::string& value = const_cast<std::string&>(field_value);
  SecretBytes secret = SecretFromView(value);
  sodium_memzero(value.data(), value.size());
  value.clear();
  value.shrink_to_fit();
  return secret;
}

}  // namespace

absl::Status TokenNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("token \"", name, "\" not found"));
}

absl::StatusOr<vault::TokenVault*> TokenVaultService::Vault() const {
  if (domain_.tokens == nullptr) {
    return absl::UnavailableError("no token vault is configured in this sejfd");
  }
  return domain_.tokens;
}

absl::StatusOr<std::string> TokenVaultService::AuthorizedToken(
    RpcCall& call, const std::string& resource, Operation operation) const {
  ASSIGN_OR_RETURN(std::string name, TokenNameFromResource(resource, "name"));
  // By name first, before the lookup: a caller no rule lets act on this
  // name is refused the same whether the token exists or not.
  RETURN_IF_ERROR(call.AuthorizeName(operation, TokenTarget(name, {})));
  ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
  absl::StatusOr<vault::Token> token = vault->Get(name);
  if (token.status().code() == absl::StatusCode::kNotFound) {
    return TokenNotFound(name);
  }
  if (!token.ok()) return token.status();
  // Then in the token's own context; a token in a context the caller's
  // rules do not reach is answered exactly as a missing one.
  RETURN_IF_ERROR(call.AuthorizeFound(operation,
                                      TokenTarget(name, token->record.context),
                                      TokenNotFound(name)));
  return name;
}

grpc::Status TokenVaultService::ImportToken(
    grpc::ServerContext* context, const sejf::v1::ImportTokenRequest* request,
    sejf::v1::ImportTokenResponse* response) {
  // Taken before anything can fail, so no path leaves it in the message.
  SecretBytes secret = TakeSecret(request->secret());
  return RunRpc(
      env_, context, "/sejf.v1.TokenVault/ImportToken",
      [&](RpcCall& call) -> absl::Status {
        vault::TokenImport import;
        RETURN_IF_ERROR(
            vault::ValidateCredentialName(request->token_id(), "token_id"));
        import.name = request->token_id();
        ASSIGN_OR_RETURN(
            KsefContext ksef_context,
            vault::ParseTokenContext(request->context(), "context"));
        import.context = ksef_context.ToString();
        for (int p : request->permissions()) {
          std::optional<vault::TokenPermission> permission =
              PermissionFromProto(static_cast<sejf::v1::TokenPermission>(p));
          if (!permission) {
            return absl::InvalidArgumentError(absl::StrCat(
                "permissions: ", p, " is not a KSeF token permission"));
          }
          import.permissions.push_back(*permission);
        }
        RETURN_IF_ERROR(vault::ValidateTokenDescription(request->description(),
                                                        "description"));
        import.description = request->description();
        if (request->has_expire_time()) {
          import.expire_time = absl::FromUnixMicros(
              google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                  request->expire_time()));
        }
        RETURN_IF_ERROR(vault::ValidateTokenSecret(secret, "secret"));
        import.secret = std::move(secret);
        RETURN_IF_ERROR(
            call.Authorize(Operation::kTokensManage,
                           TokenTarget(import.name, import.context)));
        ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
        ASSIGN_OR_RETURN(vault::Token token, vault->Import(import));
        TokenToProto(token, response->mutable_token());
        return absl::OkStatus();
      });
}

grpc::Status TokenVaultService::RotateToken(
    grpc::ServerContext* context, const sejf::v1::RotateTokenRequest* request,
    sejf::v1::RotateTokenResponse* response) {
  SecretBytes secret = TakeSecret(request->secret());
  return RunRpc(
      env_, context, "/sejf.v1.TokenVault/RotateToken",
      [&](RpcCall& call) -> absl::Status {
        RETURN_IF_ERROR(vault::ValidateTokenSecret(secret, "secret"));
        ASSIGN_OR_RETURN(
            std::string name,
            AuthorizedToken(call, request->name(), Operation::kTokensManage));
        ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
        ASSIGN_OR_RETURN(vault::Token token, vault->Rotate(name, secret));
        TokenToProto(token, response->mutable_token());
        return absl::OkStatus();
      });
}

grpc::Status TokenVaultService::GetToken(
    grpc::ServerContext* context, const sejf::v1::GetTokenRequest* request,
    sejf::v1::GetTokenResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.TokenVault/GetToken",
                [&](RpcCall& call) -> absl::Status {
                  ASSIGN_OR_RETURN(std::string name,
                                   AuthorizedToken(call, request->name(),
                                                   Operation::kTokensRead));
                  ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
                  ASSIGN_OR_RETURN(vault::Token token, vault->Get(name));
                  TokenToProto(token, response->mutable_token());
                  return absl::OkStatus();
                });
}

grpc::Status TokenVaultService::ListTokens(
    grpc::ServerContext* context, const sejf::v1::ListTokensRequest* request,
    sejf::v1::ListTokensResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.TokenVault/ListTokens",
      [&](RpcCall& call) -> absl::Status {
        vault::TokenFilter filter;
        if (!request->context().empty()) {
          ASSIGN_OR_RETURN(
              KsefContext ksef_context,
              vault::ParseTokenContext(request->context(), "context"));
          filter.context = ksef_context.ToString();
        }
        if (request->state() != sejf::v1::CREDENTIAL_STATE_UNSPECIFIED) {
          filter.state = StateFromProto(request->state());
          if (!filter.state) {
            return absl::InvalidArgumentError("state: not a credential state");
          }
        }
        if (request->page_size() < 0) {
          return absl::InvalidArgumentError("page_size must not be negative");
        }
        RETURN_IF_ERROR(call.Authorize(Operation::kTokensRead));
        ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
        absl::StatusOr<vault::TokenPage> page =
            vault->List(filter, request->page_size(), request->page_token());
        if (!page.ok()) return page.status();
        for (const vault::Token& token : page->tokens) {
          // Only the tokens policy lets this caller read.
          if (!call.IsAllowed(Operation::kTokensRead,
                              TokenTarget(token.name, token.record.context))) {
            continue;
          }
          TokenToProto(token, response->add_tokens());
        }
        response->set_next_page_token(page->next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status TokenVaultService::DisableToken(
    grpc::ServerContext* context, const sejf::v1::DisableTokenRequest* request,
    sejf::v1::DisableTokenResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.TokenVault/DisableToken",
                [&](RpcCall& call) -> absl::Status {
                  ASSIGN_OR_RETURN(std::string name,
                                   AuthorizedToken(call, request->name(),
                                                   Operation::kTokensManage));
                  ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
                  ASSIGN_OR_RETURN(vault::Token token, vault->Disable(name));
                  TokenToProto(token, response->mutable_token());
                  return absl::OkStatus();
                });
}

grpc::Status TokenVaultService::EnableToken(
    grpc::ServerContext* context, const sejf::v1::EnableTokenRequest* request,
    sejf::v1::EnableTokenResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.TokenVault/EnableToken",
                [&](RpcCall& call) -> absl::Status {
                  ASSIGN_OR_RETURN(std::string name,
                                   AuthorizedToken(call, request->name(),
                                                   Operation::kTokensManage));
                  ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
                  ASSIGN_OR_RETURN(vault::Token token, vault->Enable(name));
                  TokenToProto(token, response->mutable_token());
                  return absl::OkStatus();
                });
}

grpc::Status TokenVaultService::DestroyToken(
    grpc::ServerContext* context, const sejf::v1::DestroyTokenRequest* request,
    sejf::v1::DestroyTokenResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.TokenVault/DestroyToken",
                [&](RpcCall& call) -> absl::Status {
                  ASSIGN_OR_RETURN(std::string name,
                                   AuthorizedToken(call, request->name(),
                                                   Operation::kTokensManage));
                  ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
                  ASSIGN_OR_RETURN(vault::Token token, vault->Destroy(name));
                  TokenToProto(token, response->mutable_token());
                  return absl::OkStatus();
                });
}

grpc::Status TokenVaultService::RotateDataKey(
    grpc::ServerContext* context, const sejf::v1::RotateDataKeyRequest*,
    sejf::v1::RotateDataKeyResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.TokenVault/RotateDataKey",
                [&](RpcCall& call) -> absl::Status {
                  RETURN_IF_ERROR(call.Authorize(Operation::kVaultAdmin));
                  ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
                  ASSIGN_OR_RETURN(std::uint32_t id, vault->RotateDataKey());
                  response->set_data_key_id(id);
                  return absl::OkStatus();
                });
}

grpc::Status TokenVaultService::RotateKeyEncryptionKey(
    grpc::ServerContext* context,
    const sejf::v1::RotateKeyEncryptionKeyRequest*,
    sejf::v1::RotateKeyEncryptionKeyResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.TokenVault/RotateKeyEncryptionKey",
                [&](RpcCall& call) -> absl::Status {
                  RETURN_IF_ERROR(call.Authorize(Operation::kVaultAdmin));
                  ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
                  ASSIGN_OR_RETURN(std::string uri,
                                   vault->RotateKeyEncryptionKey());
                  response->set_kek_uri(uri);
                  return absl::OkStatus();
                });
}

grpc::Status TokenVaultService::GetVaultStatus(
    grpc::ServerContext* context, const sejf::v1::GetVaultStatusRequest*,
    sejf::v1::GetVaultStatusResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.TokenVault/GetVaultStatus",
      [&](RpcCall& call) -> absl::Status {
        RETURN_IF_ERROR(call.Authorize(Operation::kVaultAdmin));
        ASSIGN_OR_RETURN(vault::TokenVault * vault, Vault());
        ASSIGN_OR_RETURN(vault::VaultStatus status, vault->Status());
        response->set_current_data_key_id(status.current_data_key_id);
        response->set_data_key_count(status.data_key_count);
        response->set_token_count(status.token_count);
        response->set_records_pending_reseal(status.records_pending_reseal);
        response->set_kek_uri(status.kek_uri);
        return absl::OkStatus();
      });
}

}  // namespace sejf::server
