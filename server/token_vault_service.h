// sejf.v1.TokenVault: the gRPC adapter over vault::TokenVault. Each handler
// validates and converts the request (errors name the request field), asks
// the policy (tokens.read or tokens.manage, with the token as credential and
// its KSeF context), calls the domain and converts back. Listing returns
// only the tokens the caller may read. The secret of Import/Rotate is moved
// into a zeroing buffer and wiped from the request message at once; no
// response carries a secret.
// Data-key and KEK rotation, status and the vault check have no single
// resource: vault.admin, whole-vault.
#ifndef SEJF_SERVER_TOKEN_VAULT_SERVICE_H_
#define SEJF_SERVER_TOKEN_VAULT_SERVICE_H_

#include <functional>
#include <string>

#include "broker/lifecycle/ksef_tokens.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "server/rpc_call.h"
#include "signer/custody/import_key.h"
#include "signer/custody/vault_check.h"
#include "vault/tokens/token_vault.h"

namespace sejf::server {

// Thread-safe (stateless beyond the shared environment).
class TokenVaultService final : public sejf::v1::TokenVault::Service {
 public:
  // `env`, `tokens`, `vault_check`, `ksef_tokens` and `import_key` must
  // outlive the service.
  TokenVaultService(const ServiceEnvironment& env, vault::TokenVault& tokens,
                    const signer::VaultChecker& vault_check,
                    broker::KsefTokens& ksef_tokens,
                    signer::ImportKey& import_key)
      : env_(env),
        tokens_(tokens),
        vault_check_(vault_check),
        ksef_tokens_(ksef_tokens),
        import_key_(import_key) {}

  grpc::Status ImportToken(grpc::ServerContext* context,
                           const sejf::v1::ImportTokenRequest* request,
                           sejf::v1::ImportTokenResponse* response) override;
  grpc::Status RotateToken(grpc::ServerContext* context,
                           const sejf::v1::RotateTokenRequest* request,
                           sejf::v1::RotateTokenResponse* response) override;
  grpc::Status GetToken(grpc::ServerContext* context,
                        const sejf::v1::GetTokenRequest* request,
                        sejf::v1::GetTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context,
                          const sejf::v1::ListTokensRequest* request,
                          sejf::v1::ListTokensResponse* response) override;
  grpc::Status DisableToken(grpc::ServerContext* context,
                            const sejf::v1::DisableTokenRequest* request,
                            sejf::v1::DisableTokenResponse* response) override;
  grpc::Status EnableToken(grpc::ServerContext* context,
                           const sejf::v1::EnableTokenRequest* request,
                           sejf::v1::EnableTokenResponse* response) override;
  grpc::Status DestroyToken(grpc::ServerContext* context,
                            const sejf::v1::DestroyTokenRequest* request,
                            sejf::v1::DestroyTokenResponse* response) override;
  grpc::Status RotateDataKey(
      grpc::ServerContext* context,
      const sejf::v1::RotateDataKeyRequest* request,
      sejf::v1::RotateDataKeyResponse* response) override;
  grpc::Status RotateKeyEncryptionKey(
      grpc::ServerContext* context,
      const sejf::v1::RotateKeyEncryptionKeyRequest* request,
      sejf::v1::RotateKeyEncryptionKeyResponse* response) override;
  grpc::Status GetVaultStatus(
      grpc::ServerContext* context,
      const sejf::v1::GetVaultStatusRequest* request,
      sejf::v1::GetVaultStatusResponse* response) override;
  // In token_vault_check.cc.
  grpc::Status CheckVault(grpc::ServerContext* context,
                          const sejf::v1::CheckVaultRequest* request,
                          sejf::v1::CheckVaultResponse* response) override;
  // Issue 14, in token_vault_ksef.cc: tokens minted in KSeF; DestroyToken
  // with revoke_in_ksef.
  grpc::Status CreateTokenInKsef(
      grpc::ServerContext* context,
      const sejf::v1::CreateTokenInKsefRequest* request,
      sejf::v1::CreateTokenInKsefResponse* response) override;
  grpc::Status CheckTokenInKsef(
      grpc::ServerContext* context,
      const sejf::v1::CheckTokenInKsefRequest* request,
      sejf::v1::CheckTokenInKsefResponse* response) override;

 private:
  // The token a request carries: exactly one of `plaintext` (field secret,
  // the weaker path) and `encrypted` (encrypted_secret, opened in the HSM).
  // INVALID_ARGUMENT naming the field otherwise.
  absl::StatusOr<SecretBytes> RequestSecret(SecretBytes plaintext,
                                            const std::string& encrypted);

  // The token of request field "name" ("tokens/{token}"), authorized for
  // `operation` (FindAuthorizedToken: PERMISSION_DENIED by name, and
  // TokenNotFound alike for a missing token and one the caller's rules do
  // not reach).
  absl::StatusOr<vault::Token> AuthorizedToken(RpcCall& call,
                                               const std::string& resource,
                                               Operation operation) const;
  // The frame of the handlers that act on the one token their request
  // names: authorize, `act` on the token, answer it.
  template <typename Request, typename Response>
  grpc::Status ActOnToken(
      grpc::ServerContext* context, const Request& request, Response* response,
      Operation operation,
      const std::function<absl::StatusOr<vault::Token>(const std::string&)>&
          act);

  // DestroyToken with revoke_in_ksef (token_vault_ksef.cc).
  grpc::Status DestroyRevokingInKsef(
      grpc::ServerContext* context,
      const sejf::v1::DestroyTokenRequest& request,
      sejf::v1::DestroyTokenResponse* response);

  const ServiceEnvironment& env_;
  vault::TokenVault& tokens_;
  const signer::VaultChecker& vault_check_;
  broker::KsefTokens& ksef_tokens_;
  // Opens ImportTokenRequest.encrypted_secret (issue 15).
  signer::ImportKey& import_key_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_TOKEN_VAULT_SERVICE_H_
