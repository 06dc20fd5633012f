#include "server/vault_backup_config.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace sejf::server {

std::unique_ptr<vault::VaultBackup> VaultBackupFor(
    const Config& config, vault::SqliteStorage* sqlite,
    hsm::WriteFencedKeyStore* keys) {
  if (config.storage.backend == StorageBackend::kMemory) {
    return vault::VaultBackup::Refusing(
        "the vault is in memory (storage.backend = \"memory\") and is gone "
        "when sejfd stops; there is nothing to back up");
  }
  if (config.storage.backend != StorageBackend::kSqlite) {
    return vault::VaultBackup::Refusing(absl::StrCat(
        "sejf backup copies only the embedded default (SQLite and SoftHSM2 "
        "under the data directory); this vault is in storage.backend = \"",
        StorageBackendName(config.storage.backend),
        "\": back up the database (pg_dump or point-in-time recovery) and "
        "the HSM's token with its vendor's tools, together, as "
        "docs/backup.md describes"));
  }
  if (!config.dev) {
    return vault::VaultBackup::Refusing(
        "sejf backup copies only the embedded default of sejfd --dev "
        "(SQLite and SoftHSM2 under the data directory); with a configured "
        "HSM, back up the database file and the HSM's token together, as "
        "docs/backup.md describes");
  }
  if (sqlite == nullptr) {
    return vault::VaultBackup::Refusing(
        "the vault's storage is not the embedded SQLite database");
  }
  return vault::VaultBackup::Embedded(
      sqlite, keys,
      {.data_dir = config.data_dir,
       .copied_entries = {"tls"},
       .freeze_timeout = absl::Seconds(config.hsm.call_timeout_seconds)});
}

}  // namespace sejf::server
