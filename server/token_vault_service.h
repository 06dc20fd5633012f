// sejf.v1.TokenVault: the gRPC adapter over vault::TokenVault. Each handler
// validates and converts the request (errors name the request field), asks
// the policy (tokens.read or tokens.manage, with the token as credential and
// its KSeF context), calls the domain and converts back. Listing returns
// only the tokens the caller may read. The secret of Import/Rotate is moved
// into a zeroing buffer and wiped from the request message at once; no
// response carries a secret. A null domain_.tokens answers UNAVAILABLE.
// Data-key rotation and status have no single resource: tokens.manage for
// the rotations, tokens.read for GetVaultStatus.
#ifndef SEJF_SERVER_TOKEN_VAULT_SERVICE_H_
#define SEJF_SERVER_TOKEN_VAULT_SERVICE_H_

#include "sejf/v1/token_vault.grpc.pb.h"
#include "server/domain_services.h"
#include "server/rpc_call.h"

namespace sejf::server {

// NOT_FOUND for token `name` (a valid name): what a caller allowed to act on
// the name gets both when the token does not exist and when it is in a
// context the caller's rules do not reach (the same status, byte for byte).
absl::Status TokenNotFound(absl::string_view name);

// Thread-safe (stateless beyond the shared environment).
class TokenVaultService final : public sejf::v1::TokenVault::Service {
 public:
  TokenVaultService(const ServiceEnvironment& env, const DomainServices& domain)
      : env_(env), domain_(domain) {}

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

 private:
  // The vault, or UNAVAILABLE when this sejfd has none.
  absl::StatusOr<vault::TokenVault*> Vault() const;
  // The {token} of request field "name" ("tokens/{token}"), authorized for
  // `operation`: by name before the lookup (PERMISSION_DENIED, whether or
  // not it exists), then in the token's context (TokenNotFound when denied,
  // as when it is missing).
  absl::StatusOr<std::string> AuthorizedToken(RpcCall& call,
                                              const std::string& resource,
                                              Operation operation) const;

  const ServiceEnvironment& env_;
  DomainServices domain_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_TOKEN_VAULT_SERVICE_H_
