// sejf.v1.KsefAuth, KSeF token encryption: EncryptToken
// (ksef_auth_service.h).
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/ksef_context.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/credential_access.h"
#include "server/ksef_auth_service.h"
#include "server/ksef_conversions.h"
#include "server/resource_names.h"

namespace sejf::server {

grpc::Status KsefAuthService::EncryptToken(
    grpc::ServerContext* context, const sejf::v1::EncryptTokenRequest* request,
    sejf::v1::EncryptTokenResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(std::string name,
                     TokenNameFromResource(request->token(), "token"));
    signer::KsefTokenRequest encrypt;
    encrypt.environment = request->environment();
    encrypt.challenge = request->challenge();
    encrypt.timestamp_ms = request->timestamp_ms();
    encrypt.allowed_ips = AllowedIpsFromProto(request->allowed_ips());
    RETURN_IF_ERROR(WithTaggedField(token_encryptor_.CheckRequest(encrypt)));
    std::optional<std::string> asked;
    if (!request->context().empty()) {
      ASSIGN_OR_RETURN(KsefContext parsed,
                       ParseKsefContext(request->context(), "context"));
      asked = parsed.ToString();
    }

    // In the context asked for, or (none asked) in the token's own: a
    // token that is missing, in another context than the one asked for, or
    // in a context the caller's rules do not reach is answered with the
    // same NOT_FOUND.
    ASSIGN_OR_RETURN(
        vault::Token token,
        FindAuthorizedToken(call, tokens_, name, Operation::kAuthToken, asked,
                            absl::StrCat("challenge ", request->challenge())));
    ASSIGN_OR_RETURN(vault::UsableToken usable, tokens_.OpenForUse(name));
    absl::StatusOr<KsefContext> own =
        ParseKsefContext(usable.token.record.context, "token context");
    if (!own.ok()) {
      return absl::DataLossError(
          absl::StrCat("token ", name, " has an unreadable context"));
    }
    if (own->ToString() != token.record.context) {
      // Changed between the two reads: answer as if it were missing.
      return TokenNotFound(name, asked);
    }
    encrypt.context = *own;
    absl::StatusOr<signer::EncryptedKsefToken> encrypted =
        token_encryptor_.Encrypt(usable.secret, encrypt);
    if (!encrypted.ok()) return WithTaggedField(encrypted.status());
    response->set_encrypted_token(encrypted->encrypted_token);
    response->set_public_key_id(encrypted->public_key_id);
    response->set_request_json(encrypted->request_json);
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
