#include "server/vault_backup_config.h"

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "hsm/softhsm_bootstrap.h"

namespace sejf::server {

absl::StatusOr<std::string> SoftHsmTokenDirOf(const std::string& conf_path) {
  absl::StatusOr<std::string> text = ReadFile(conf_path);
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "directories.tokendir")) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "=")) continue;
    std::string dir(absl::StripAsciiWhitespace(line));
    if (dir.empty() || dir.front() != '/') {
      return absl::FailedPreconditionError(absl::StrCat(
          "directories.tokendir in ", conf_path, " is not an absolute path"));
    }
    return dir;
  }
  return absl::FailedPreconditionError(
      absl::StrCat(conf_path, " sets no directories.tokendir"));
}

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
        "sejf backup copies a vault in SQLite and SoftHSM2 only; this vault "
        "is in storage.backend = \"",
        StorageBackendName(config.storage.backend),
        "\": back up the database (pg_dump or point-in-time recovery) and "
        "the HSM's token with its vendor's tools, together, as "
        "docs/backup.md describes"));
  }
  if (sqlite == nullptr) {
    return vault::VaultBackup::Refusing(
        "the vault's storage is not the embedded SQLite database");
  }
  vault::VaultBackupOptions options{
      .data_dir = config.data_dir,
      .freeze_timeout = absl::Seconds(config.hsm.call_timeout_seconds)};
  if (config.dev) {
    options.copied_entries = {"tls"};  // the dev PKI
    return vault::VaultBackup::Embedded(sqlite, keys, std::move(options));
  }
  // A production sejfd on SQLite: its token must be SoftHSM2's files.
  if (config.hsm.softhsm2_conf.empty() ||
      !absl::StrContains(config.hsm.module, "softhsm")) {
    return vault::VaultBackup::Refusing(
        "sejf backup copies a vault in SQLite and SoftHSM2 only; this sejfd "
        "uses the PKCS#11 module " +
        config.hsm.module +
        ": back up the database file and the HSM's token (with its vendor's "
        "tools) together, as docs/backup.md describes");
  }
  absl::StatusOr<std::string> tokens =
      SoftHsmTokenDirOf(config.hsm.softhsm2_conf);
  if (!tokens.ok()) {
    return vault::VaultBackup::Refusing(
        absl::StrCat("sejf backup cannot find the SoftHSM2 token directory: ",
                     tokens.status().message()));
  }
  if (options.data_dir.empty()) {
    options.data_dir =
        std::filesystem::path(config.storage.sqlite_path).parent_path();
  }
  options.hsm_tokens_dir = *tokens;
  options.user_pin_file = config.hsm.pin_file;
  return vault::VaultBackup::Embedded(sqlite, keys, std::move(options));
}

}  // namespace sejf::server
