// `sejf backup --to DIR`: a consistent online copy of a vault in SQLite
// and SoftHSM2 — the embedded default (`sejfd --dev --data-dir D`: D/sejf.db,
// the token in D/tokens), or a production sejfd configured with both — that
// is itself a data directory: `sejfd --dev --data-dir DIR` starts on it
// (docs/backup.md).
//
// What DIR holds afterwards (mode 0700):
//   sejf.db         the database, copied by SQLite's online backup API
//   tokens/         the SoftHSM2 token directory, file by file
//   softhsm2.conf   written for DIR (directories.tokendir = DIR/tokens)
//   hsm-pin         the user PIN file; hsm-so-pin when there is one
//   `options.copied_entries` (the dev PKI, tls/) as they are, modes kept
//
// Consistency. The token's objects and the database are taken at one
// instant T: the HSM's writes are frozen (hsm/write_fenced_key_store.h:
// running ones finish, new ones wait), the token directory is copied, the
// database's snapshot is taken (one read transaction: the commits up to T),
// the HSM writes go on, and the database is copied from that snapshot.
// Database writes never wait; signing never waits; HSM writes wait for the
// token directory's copy and the snapshot only. So the copy is exactly the
// state a crash at T would have left, which every write path of sejf
// recovers from (key intents, pending KEK rotation, the audit anchor never
// ahead of the log: docs/reliability.md), and `sejf vault check` on the
// restored directory shows what such a crash would show: nothing, unless a
// key generation was half-way at T (`pending_key_intent` or
// `orphan_key_object`, repaired by generating that name again). Every write
// acknowledged before BackupTo was called is in the copy.
//
// Nothing half-written is left behind: the copy is built in a new hidden
// directory beside DIR (".NAME.partial-XXXXXX", 0700), synced, then renamed
// to DIR in one step; on any error it is removed.
//
// Thread-safety: thread-safe; backups run one at a time (a second waits).
#ifndef SEJF_VAULT_BACKUP_VAULT_BACKUP_H_
#define SEJF_VAULT_BACKUP_VAULT_BACKUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hsm/write_fenced_key_store.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::vault {

// Every member has an initializer, so designated initializers may name
// only some.
struct VaultBackupOptions {
  // The running data directory (absolute): where the token directory, the
  // PIN files and `copied_entries` are read from unless named below. No
  // backup may go inside it (nor inside the token directory).
  std::string data_dir = {};
  // The SoftHSM2 token directory (absolute); empty: data_dir/tokens.
  std::string hsm_tokens_dir = {};
  // The user PIN file (absolute); empty: data_dir/hsm-pin.
  std::string user_pin_file = {};
  // The SO PIN file, copied when it exists (absolute); empty:
  // data_dir/hsm-so-pin.
  std::string so_pin_file = {};
  // Files or directories under data_dir copied as they are (names, not
  // paths), e.g. "tls".
  std::vector<std::string> copied_entries = {};
  // How long to wait for the HSM writes running now before giving up.
  absl::Duration freeze_timeout = absl::Seconds(10);
};

struct VaultBackupReport {
  std::string dir;                  // absolute
  std::int64_t database_bytes = 0;  // size of DIR/sejf.db
  std::int64_t hsm_files = 0;       // files copied from the token directory
  std::int64_t other_files = 0;     // PIN files, copied entries, the config
  absl::Duration hsm_frozen;        // how long HSM writes waited
};

class VaultBackup {
 public:
  // A backup of the embedded default. `storage` and `keys` (the store the
  // daemon's HSM calls go through) must outlive it and not be null.
  static std::unique_ptr<VaultBackup> Embedded(SqliteStorage* storage,
                                               hsm::WriteFencedKeyStore* keys,
                                               VaultBackupOptions options);

  // A process whose vault this cannot copy (PostgreSQL, another PKCS#11
  // module, memory): BackupTo answers FAILED_PRECONDITION with `reason`.
  static std::unique_ptr<VaultBackup> Refusing(std::string reason);

  // Checks `dir` without writing: INVALID_ARGUMENT for an empty or relative
  // path, or one inside (or equal to) the data directory or the token
  // directory.
  absl::Status CheckTarget(const std::string& dir) const;

  // Copies the vault into `dir` (absolute; it must not exist, or be an empty
  // directory; its parent must exist). Errors, with nothing left behind:
  //   INVALID_ARGUMENT     as CheckTarget;
  //   FAILED_PRECONDITION  the reason given to Refusing; `dir` is not an
  //                        empty directory (named, with what to do); its
  //                        parent does not exist;
  //   PERMISSION_DENIED    sejfd may not create or write there;
  //   RESOURCE_EXHAUSTED   the disk filled;
  //   UNAVAILABLE          an HSM write did not finish within
  //                        freeze_timeout, or the database was busy; retry.
  absl::StatusOr<VaultBackupReport> BackupTo(const std::string& dir);

 private:
  VaultBackup(SqliteStorage* storage, hsm::WriteFencedKeyStore* keys,
              VaultBackupOptions options, std::string refusal)
      : storage_(storage),
        keys_(keys),
        options_(std::move(options)),
        refusal_(std::move(refusal)) {}

  absl::StatusOr<VaultBackupReport> CopyInto(const std::string& staging,
                                             const std::string& dir);

  SqliteStorage* const storage_;
  hsm::WriteFencedKeyStore* const keys_;
  const VaultBackupOptions options_;
  const std::string refusal_;  // non-empty: BackupTo refuses
  absl::Mutex one_at_a_time_;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_BACKUP_VAULT_BACKUP_H_
