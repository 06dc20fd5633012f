#include "server/key_custody_service.h"

namespace sejf::server {

grpc::Status KeyCustodyService::GenerateKey(grpc::ServerContext* context,
                                            const sejf::v1::GenerateKeyRequest*,
                                            sejf::v1::GenerateKeyResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.KeyCustody/GenerateKey",
                           Operation::kKeysManage);
}

grpc::Status KeyCustodyService::GetKey(grpc::ServerContext* context,
                                       const sejf::v1::GetKeyRequest*,
                                       sejf::v1::GetKeyResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.KeyCustody/GetKey",
                           Operation::kKeysRead);
}

grpc::Status KeyCustodyService::ListKeys(grpc::ServerContext* context,
                                         const sejf::v1::ListKeysRequest*,
                                         sejf::v1::ListKeysResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.KeyCustody/ListKeys",
                           Operation::kKeysRead);
}

grpc::Status KeyCustodyService::CreateCsr(grpc::ServerContext* context,
                                          const sejf::v1::CreateCsrRequest*,
                                          sejf::v1::CreateCsrResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.KeyCustody/CreateCsr",
                           Operation::kKeysManage);
}

grpc::Status KeyCustodyService::SelfSignCertificate(
    grpc::ServerContext* context, const sejf::v1::SelfSignCertificateRequest*,
    sejf::v1::SelfSignCertificateResponse*) {
  return NotImplementedRpc(env_, context,
                           "/sejf.v1.KeyCustody/SelfSignCertificate",
                           Operation::kKeysManage);
}

grpc::Status KeyCustodyService::AttachCertificate(
    grpc::ServerContext* context, const sejf::v1::AttachCertificateRequest*,
    sejf::v1::AttachCertificateResponse*) {
  return NotImplementedRpc(env_, context,
                           "/sejf.v1.KeyCustody/AttachCertificate",
                           Operation::kKeysManage);
}

grpc::Status KeyCustodyService::DisableKey(grpc::ServerContext* context,
                                           const sejf::v1::DisableKeyRequest*,
                                           sejf::v1::DisableKeyResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.KeyCustody/DisableKey",
                           Operation::kKeysManage);
}

grpc::Status KeyCustodyService::EnableKey(grpc::ServerContext* context,
                                          const sejf::v1::EnableKeyRequest*,
                                          sejf::v1::EnableKeyResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.KeyCustody/EnableKey",
                           Operation::kKeysManage);
}

grpc::Status KeyCustodyService::DestroyKey(grpc::ServerContext* context,
                                           const sejf::v1::DestroyKeyRequest*,
                                           sejf::v1::DestroyKeyResponse*) {
  return NotImplementedRpc(env_, context, "/sejf.v1.KeyCustody/DestroyKey",
                           Operation::kKeysManage);
}

}  // namespace sejf::server
