// TokenVaultService::BackupVault: `sejf backup --to DIR`
// (vault/backup/vault_backup.h, docs/backup.md) as an RPC. Whole-vault:
// vault.admin, audited like every state-changing operation (the copy holds
// the backup's own STARTED event; its outcome follows in the live log).
#include "absl/time/time.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/token_vault_service.h"

namespace sejf::server {

grpc::Status TokenVaultService::BackupVault(
    grpc::ServerContext* context, const sejf::v1::BackupVaultRequest* request,
    sejf::v1::BackupVaultResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    // Authorized before the directory is checked: CheckTarget's answers
    // name the data and HSM token directories, which only a vault admin
    // may learn (docs/access-control.md, "Authorization before lookup").
    RETURN_IF_ERROR(call.Authorize(Operation::kVaultAdmin));
    if (backup_ == nullptr) {
      return absl::FailedPreconditionError(
          "this sejfd cannot make backups; see docs/backup.md");
    }
    RETURN_IF_ERROR(
        WithField("directory", backup_->CheckTarget(request->directory())));
    ASSIGN_OR_RETURN(vault::VaultBackupReport report,
                     backup_->BackupTo(request->directory()));
    response->set_directory(report.dir);
    response->set_database_bytes(report.database_bytes);
    response->set_hsm_files(report.hsm_files);
    response->set_other_files(report.other_files);
    response->set_hsm_frozen_ms(absl::ToInt64Milliseconds(report.hsm_frozen));
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
