#include "server/ksef_auth_service.h"

namespace sejf::server {

grpc::Status KsefAuthService::SignAuthTokenRequest(
    grpc::ServerContext* context, const sejf::v1::SignAuthTokenRequestRequest*,
    sejf::v1::SignAuthTokenRequestResponse*) {
  return NotImplementedRpc(env_, context,
                           "/sejf.v1.KsefAuth/SignAuthTokenRequest",
                           Operation::kAuthXades);
}

grpc::Status KsefAuthService::EncryptToken(grpc::ServerContext* context,
                                           const sejf::v1::EncryptTokenRequest*,
                                           sejf::v1::EncryptTokenResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.KsefAuth/EncryptToken",
                           Operation::kAuthToken);
}

grpc::Status KsefAuthService::SignOfflineQrCode(
    grpc::ServerContext* context, const sejf::v1::SignOfflineQrCodeRequest*,
    sejf::v1::SignOfflineQrCodeResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.KsefAuth/SignOfflineQrCode",
                           Operation::kQrOffline);
}

grpc::Status KsefAuthService::BuildInvoiceQrCode(
    grpc::ServerContext* context, const sejf::v1::BuildInvoiceQrCodeRequest*,
    sejf::v1::BuildInvoiceQrCodeResponse*) {
  return RunRpc(env_, context, "/sejf.v1.KsefAuth/BuildInvoiceQrCode",
                [&](RpcCall&) -> absl::Status {
                  return absl::UnimplementedError(
                      "/sejf.v1.KsefAuth/BuildInvoiceQrCode is not implemented "
                      "in sejfd yet");
                });
}

grpc::Status KsefAuthService::ImportMinistryCertificates(
    grpc::ServerContext* context,
    const sejf::v1::ImportMinistryCertificatesRequest*,
    sejf::v1::ImportMinistryCertificatesResponse*) {
  return NotImplementedRpc(env_, context,
                           "/sejf.v1.KsefAuth/ImportMinistryCertificates",
                           Operation::kMfcertsManage);
}

grpc::Status KsefAuthService::ListMinistryCertificates(
    grpc::ServerContext* context,
    const sejf::v1::ListMinistryCertificatesRequest*,
    sejf::v1::ListMinistryCertificatesResponse*) {
  return NotImplementedRpc(env_, context,
                           "/sejf.v1.KsefAuth/ListMinistryCertificates",
                           Operation::kMfcertsManage);
}

}  // namespace sejf::server
