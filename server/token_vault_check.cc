// TokenVaultService::CheckVault: `sejf vault check` (signer/custody/
// vault_check.h) as an RPC.
#include "common/status_macros.h"
#include "server/token_vault_service.h"

namespace sejf::server {
namespace {

sejf::v1::VaultFindingKind ToProto(signer::VaultFindingKind kind) {
  using K = signer::VaultFindingKind;
  switch (kind) {
    case K::kOrphanKeyObject:
      return sejf::v1::VAULT_FINDING_KIND_ORPHAN_KEY_OBJECT;
    case K::kMissingKeyObject:
      return sejf::v1::VAULT_FINDING_KIND_MISSING_KEY_OBJECT;
    case K::kDestroyedKeyInHsm:
      return sejf::v1::VAULT_FINDING_KIND_DESTROYED_KEY_IN_HSM;
    case K::kPendingKeyIntent:
      return sejf::v1::VAULT_FINDING_KIND_PENDING_KEY_INTENT;
    case K::kUnreadableToken:
      return sejf::v1::VAULT_FINDING_KIND_UNREADABLE_TOKEN;
    case K::kUnreadableDataKey:
      return sejf::v1::VAULT_FINDING_KIND_UNREADABLE_DATA_KEY;
    case K::kMissingKek:
      return sejf::v1::VAULT_FINDING_KIND_MISSING_KEK;
    case K::kPendingKek:
      return sejf::v1::VAULT_FINDING_KIND_PENDING_KEK;
    case K::kRetiredKek:
      return sejf::v1::VAULT_FINDING_KIND_RETIRED_KEK;
    case K::kUnrecordedKek:
      return sejf::v1::VAULT_FINDING_KIND_UNRECORDED_KEK;
  }
  return sejf::v1::VAULT_FINDING_KIND_UNSPECIFIED;
}

}  // namespace

grpc::Status TokenVaultService::CheckVault(
    grpc::ServerContext* context, const sejf::v1::CheckVaultRequest* request,
    sejf::v1::CheckVaultResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    RETURN_IF_ERROR(call.Authorize(Operation::kVaultAdmin));
    ASSIGN_OR_RETURN(signer::VaultCheckReport report, vault_check_.Check());
    response->set_clean(report.clean());
    response->set_keys_checked(report.keys_checked);
    response->set_tokens_checked(report.tokens_checked);
    response->set_hsm_objects(report.hsm_objects);
    response->set_data_keys_checked(report.data_keys_checked);
    for (const signer::VaultFinding& finding : report.findings) {
      sejf::v1::VaultFinding* out = response->add_findings();
      out->set_kind(ToProto(finding.kind));
      out->set_subject(finding.subject);
      out->set_detail(finding.detail);
      out->set_remedy(finding.remedy);
    }
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
