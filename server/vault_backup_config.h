// The `sejf backup` of this sejfd (vault/backup/vault_backup.h), from its
// configuration: the embedded default (`--dev`: SQLite and SoftHSM2 under
// the data directory, and the dev PKI) is copied, and so is a production
// sejfd on SQLite and SoftHSM2 (the token directory named by
// hsm.softhsm2_conf, the user PIN of hsm.pin_file); any other vault
// (PostgreSQL, another PKCS#11 module, memory) is refused with what to do
// instead (docs/backup.md).
#ifndef SEJF_SERVER_VAULT_BACKUP_CONFIG_H_
#define SEJF_SERVER_VAULT_BACKUP_CONFIG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "hsm/write_fenced_key_store.h"
#include "server/config/config.h"
#include "vault/backup/vault_backup.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::server {

// `directories.tokendir` of the SoftHSM2 configuration file `conf_path`
// (absolute). FAILED_PRECONDITION when it sets none or a relative one;
// NOT_FOUND when the file is missing.
absl::StatusOr<std::string> SoftHsmTokenDirOf(const std::string& conf_path);

// Never null. `sqlite` is the process's SQLite storage itself (not a
// wrapper around it; null for another backend); it and `keys` (the fenced
// store every HSM call of the process goes through) must outlive the result.
std::unique_ptr<vault::VaultBackup> VaultBackupFor(
    const Config& config, vault::SqliteStorage* sqlite,
    hsm::WriteFencedKeyStore* keys);

}  // namespace sejf::server

#endif  // SEJF_SERVER_VAULT_BACKUP_CONFIG_H_
