// sejf.v1.TokenVault: the gRPC adapter. Methods answer UNIMPLEMENTED (after
// authorization) until the domain code behind them lands.
#ifndef SEJF_SERVER_TOKEN_VAULT_SERVICE_H_
#define SEJF_SERVER_TOKEN_VAULT_SERVICE_H_

#include "sejf/v1/token_vault.grpc.pb.h"
#include "server/rpc_call.h"

namespace sejf::server {

// Thread-safe (stateless beyond the shared environment).
class TokenVaultService final : public sejf::v1::TokenVault::Service {
 public:
  explicit TokenVaultService(const ServiceEnvironment& env) : env_(env) {}

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
  const ServiceEnvironment& env_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_TOKEN_VAULT_SERVICE_H_
