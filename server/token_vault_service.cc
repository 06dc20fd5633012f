#include "server/token_vault_service.h"

namespace sejf::server {

grpc::Status TokenVaultService::ImportToken(grpc::ServerContext* context,
                                            const sejf::v1::ImportTokenRequest*,
                                            sejf::v1::ImportTokenResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.TokenVault/ImportToken",
                           Operation::kTokensManage);
}

grpc::Status TokenVaultService::RotateToken(grpc::ServerContext* context,
                                            const sejf::v1::RotateTokenRequest*,
                                            sejf::v1::RotateTokenResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.TokenVault/RotateToken",
                           Operation::kTokensManage);
}

grpc::Status TokenVaultService::GetToken(grpc::ServerContext* context,
                                         const sejf::v1::GetTokenRequest*,
                                         sejf::v1::GetTokenResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.TokenVault/GetToken",
                           Operation::kTokensRead);
}

grpc::Status TokenVaultService::ListTokens(grpc::ServerContext* context,
                                           const sejf::v1::ListTokensRequest*,
                                           sejf::v1::ListTokensResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.TokenVault/ListTokens",
                           Operation::kTokensRead);
}

grpc::Status TokenVaultService::DisableToken(
    grpc::ServerContext* context, const sejf::v1::DisableTokenRequest*,
    sejf::v1::DisableTokenResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.TokenVault/DisableToken",
                           Operation::kTokensManage);
}

grpc::Status TokenVaultService::EnableToken(grpc::ServerContext* context,
                                            const sejf::v1::EnableTokenRequest*,
                                            sejf::v1::EnableTokenResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.TokenVault/EnableToken",
                           Operation::kTokensManage);
}

grpc::Status TokenVaultService::DestroyToken(
    grpc::ServerContext* context, const sejf::v1::DestroyTokenRequest*,
    sejf::v1::DestroyTokenResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.TokenVault/DestroyToken",
                           Operation::kTokensManage);
}

grpc::Status TokenVaultService::RotateDataKey(
    grpc::ServerContext* context, const sejf::v1::RotateDataKeyRequest*,
    sejf::v1::RotateDataKeyResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.TokenVault/RotateDataKey",
                           Operation::kTokensManage);
}

grpc::Status TokenVaultService::RotateKeyEncryptionKey(
    grpc::ServerContext* context,
    const sejf::v1::RotateKeyEncryptionKeyRequest*,
    sejf::v1::RotateKeyEncryptionKeyResponse*) {
  return NotImplementedRpc(env_, context,
                           "/sejf.v1.TokenVault/RotateKeyEncryptionKey",
                           Operation::kTokensManage);
}

grpc::Status TokenVaultService::GetVaultStatus(
    grpc::ServerContext* context, const sejf::v1::GetVaultStatusRequest*,
    sejf::v1::GetVaultStatusResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.TokenVault/GetVaultStatus",
                           Operation::kTokensRead);
}

}  // namespace sejf::server
