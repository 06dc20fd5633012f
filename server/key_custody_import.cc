// KeyCustody's import handlers (issue 15, docs/import.md): the import key
// (any authenticated caller: it is public) and ImportKey (keys.manage on
// the new key).
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/credential_access.h"
#include "server/enum_conversions.h"
#include "server/key_conversions.h"
#include "server/key_custody_service.h"
#include "vault/records/credential_name.h"

namespace sejf::server {

grpc::Status KeyCustodyService::GetImportKey(
    grpc::ServerContext* context, const sejf::v1::GetImportKeyRequest* request,
    sejf::v1::GetImportKeyResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall&) -> absl::Status {
    ASSIGN_OR_RETURN(signer::ImportKeyInfo info, custody_.import_key().Get());
    response->set_public_key_der(info.spki_der);
    response->set_public_key_pem(info.spki_pem);
    response->set_fingerprint_sha256(info.fingerprint);
    response->set_scheme(std::string(signer::kImportKeyScheme));
    return absl::OkStatus();
  });
}

grpc::Status KeyCustodyService::ImportKey(
    grpc::ServerContext* context, const sejf::v1::ImportKeyRequest* request,
    sejf::v1::ImportKeyResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    signer::KeyImport import;
    RETURN_IF_ERROR(vault::ValidateCredentialName(request->key_id(), "key_id"));
    import.name = request->key_id();
    ASSIGN_OR_RETURN(import.usage,
                     EnumFilter(request->usage(), UsageFromProto, "usage"));
    import.certificate_chain = request->certificate_chain();
    import.wrapped_key = request->wrapped_key();
    RETURN_IF_ERROR(
        call.Authorize(Operation::kKeysManage, KeyTarget(request->key_id())));
    absl::StatusOr<signer::Key> key = custody_.Import(import);
    if (!key.ok()) return WithTaggedField(key.status());
    return KeyToProto(*key, response->mutable_key());
  });
}

}  // namespace sejf::server
