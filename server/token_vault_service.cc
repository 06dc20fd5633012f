#include "server/token_vault_service.h"

#include <sodium.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/secret.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/common_conversions.h"
#include "server/credential_access.h"
#include "server/enum_conversions.h"
#include "server/resource_names.h"
#include "server/token_conversions.h"
#include "vault/records/credential_name.h"

namespace sejf::server {
namespace {

// Moves the secret out of request field `field` into a zeroing buffer and
// wipes the message's copy. gRPC owns the request and reads it no more once
// the handler runs, so writing through the const pointer is safe. An unset
// field is protobuf's one shared empty string: it holds nothing to wipe and
// must not be written (every thread's unset fields are that string; seen by
// ThreadSanitizer once clients sent encrypted_secret instead).
SecretBytes TakeSecret(const std::string& field_value) {
  if (field_value.empty()) return SecretBytes();
  std::string& value = const_cast<std::string&>(field_value);
  SecretBytes secret = SecretFromView(value);
  sodium_memzero(value.data(), value.size());
  value.clear();
  value.shrink_to_fit();
  return secret;
}

}  // namespace

absl::StatusOr<SecretBytes> TokenVaultService::RequestSecret(
    SecretBytes plaintext, const std::string& encrypted) {
  if (plaintext.empty() == encrypted.empty()) {
    return absl::InvalidArgumentError(
        "give exactly one of secret and encrypted_secret (preferred: the "
        "token encrypted to the import key, GetImportKey)");
  }
  if (!encrypted.empty()) {
    absl::StatusOr<SecretBytes> opened =
        import_key_.Open(encrypted, "encrypted_secret");
    if (!opened.ok()) return WithTaggedField(opened.status());
    return opened;
  }
  return plaintext;
}

absl::StatusOr<vault::Token> TokenVaultService::AuthorizedToken(
    RpcCall& call, const std::string& resource, Operation operation) const {
  ASSIGN_OR_RETURN(std::string name, TokenNameFromResource(resource, "name"));
  return FindAuthorizedToken(call, tokens_, name, operation);
}

template <typename Request, typename Response>
grpc::Status TokenVaultService::ActOnToken(
    grpc::ServerContext* context, const Request& request, Response* response,
    Operation operation,
    const std::function<absl::StatusOr<vault::Token>(const std::string&)>&
        act) {
  return RunRpc(env_, context, request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(vault::Token token,
                     AuthorizedToken(call, request.name(), operation));
    ASSIGN_OR_RETURN(token, act(token.name));
    TokenToProto(token, response->mutable_token());
    return absl::OkStatus();
  });
}

grpc::Status TokenVaultService::ImportToken(
    grpc::ServerContext* context, const sejf::v1::ImportTokenRequest* request,
    sejf::v1::ImportTokenResponse* response) {
  // Taken before anything can fail, so no path leaves it in the message.
  SecretBytes plaintext = TakeSecret(request->secret());
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(
        SecretBytes secret,
        RequestSecret(std::move(plaintext), request->encrypted_secret()));
    vault::TokenImport import;
    RETURN_IF_ERROR(
        vault::ValidateCredentialName(request->token_id(), "token_id"));
    import.name = request->token_id();
    ASSIGN_OR_RETURN(KsefContext ksef_context,
                     vault::ParseTokenContext(request->context(), "context"));
    import.context = ksef_context.ToString();
    for (int i = 0; i < request->permissions_size(); ++i) {
      ASSIGN_OR_RETURN(
          vault::TokenPermission permission,
          RequiredEnum(request->permissions(i), PermissionFromProto,
                       absl::StrCat("permissions[", i, "]")));
      import.permissions.push_back(permission);
    }
    RETURN_IF_ERROR(
        vault::ValidateTokenDescription(request->description(), "description"));
    import.description = request->description();
    if (request->has_expire_time()) {
      import.expire_time = FromTimestamp(request->expire_time());
    }
    RETURN_IF_ERROR(vault::ValidateTokenSecret(secret, "secret"));
    import.secret = std::move(secret);
    RETURN_IF_ERROR(call.Authorize(Operation::kTokensManage,
                                   TokenTarget(import.name, import.context)));
    ASSIGN_OR_RETURN(vault::Token token, tokens_.Import(import));
    TokenToProto(token, response->mutable_token());
    return absl::OkStatus();
  });
}

grpc::Status TokenVaultService::RotateToken(
    grpc::ServerContext* context, const sejf::v1::RotateTokenRequest* request,
    sejf::v1::RotateTokenResponse* response) {
  SecretBytes plaintext = TakeSecret(request->secret());
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(
        SecretBytes secret,
        RequestSecret(std::move(plaintext), request->encrypted_secret()));
    RETURN_IF_ERROR(vault::ValidateTokenSecret(secret, "secret"));
    ASSIGN_OR_RETURN(
        vault::Token token,
        AuthorizedToken(call, request->name(), Operation::kTokensManage));
    ASSIGN_OR_RETURN(token, tokens_.Rotate(token.name, secret));
    TokenToProto(token, response->mutable_token());
    return absl::OkStatus();
  });
}

grpc::Status TokenVaultService::GetToken(
    grpc::ServerContext* context, const sejf::v1::GetTokenRequest* request,
    sejf::v1::GetTokenResponse* response) {
  return ActOnToken(context, *request, response, Operation::kTokensRead,
                    [&](const std::string& name) { return tokens_.Get(name); });
}

grpc::Status TokenVaultService::ListTokens(
    grpc::ServerContext* context, const sejf::v1::ListTokensRequest* request,
    sejf::v1::ListTokensResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    vault::TokenFilter filter;
    if (!request->context().empty()) {
      ASSIGN_OR_RETURN(KsefContext ksef_context,
                       vault::ParseTokenContext(request->context(), "context"));
      filter.context = ksef_context.ToString();
    }
    ASSIGN_OR_RETURN(filter.state,
                     EnumFilter(request->state(), StateFromProto, "state"));
    if (request->page_size() < 0) {
      return absl::InvalidArgumentError("page_size must not be negative");
    }
    RETURN_IF_ERROR(call.Authorize(Operation::kTokensRead));
    absl::StatusOr<vault::TokenPage> page =
        tokens_.List(filter, request->page_size(), request->page_token());
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
  return ActOnToken(
      context, *request, response, Operation::kTokensManage,
      [&](const std::string& name) { return tokens_.Disable(name); });
}

grpc::Status TokenVaultService::EnableToken(
    grpc::ServerContext* context, const sejf::v1::EnableTokenRequest* request,
    sejf::v1::EnableTokenResponse* response) {
  return ActOnToken(
      context, *request, response, Operation::kTokensManage,
      [&](const std::string& name) { return tokens_.Enable(name); });
}

grpc::Status TokenVaultService::DestroyToken(
    grpc::ServerContext* context, const sejf::v1::DestroyTokenRequest* request,
    sejf::v1::DestroyTokenResponse* response) {
  if (request->revoke_in_ksef() || !request->session().empty()) {
    return DestroyRevokingInKsef(context, *request, response);  // issue 14
  }
  return ActOnToken(
      context, *request, response, Operation::kTokensManage,
      [&](const std::string& name) { return tokens_.Destroy(name); });
}

grpc::Status TokenVaultService::RotateDataKey(
    grpc::ServerContext* context, const sejf::v1::RotateDataKeyRequest* request,
    sejf::v1::RotateDataKeyResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    RETURN_IF_ERROR(call.Authorize(Operation::kVaultAdmin));
    ASSIGN_OR_RETURN(std::uint32_t id, tokens_.RotateDataKey());
    response->set_data_key_id(id);
    return absl::OkStatus();
  });
}

grpc::Status TokenVaultService::RotateKeyEncryptionKey(
    grpc::ServerContext* context,
    const sejf::v1::RotateKeyEncryptionKeyRequest* request,
    sejf::v1::RotateKeyEncryptionKeyResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    RETURN_IF_ERROR(call.Authorize(Operation::kVaultAdmin));
    ASSIGN_OR_RETURN(std::string uri, tokens_.RotateKeyEncryptionKey());
    response->set_kek_uri(uri);
    return absl::OkStatus();
  });
}

grpc::Status TokenVaultService::GetVaultStatus(
    grpc::ServerContext* context,
    const sejf::v1::GetVaultStatusRequest* request,
    sejf::v1::GetVaultStatusResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    RETURN_IF_ERROR(call.Authorize(Operation::kVaultAdmin));
    ASSIGN_OR_RETURN(vault::VaultStatus status, tokens_.Status());
    response->set_current_data_key_id(status.current_data_key_id);
    response->set_data_key_count(status.data_key_count);
    response->set_token_count(status.token_count);
    response->set_records_pending_reseal(status.records_pending_reseal);
    response->set_kek_uri(status.kek_uri);
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
