#include "vault/backup/vault_backup.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "hsm/softhsm_bootstrap.h"

namespace sejf::vault {
namespace {

constexpr char kDatabaseFile[] = "sejf.db";

absl::Status ErrnoError(absl::string_view what, const std::string& path,
                        int err) {
  std::string message =
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::FailedPreconditionError(message);
  }
}

absl::Status SyncPath(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path, errno);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return ErrnoError("sync", path, err);
  return absl::OkStatus();
}

absl::Status CopyFile(const std::string& from, const std::string& to,
                      mode_t mode) {
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoError("read", from, errno);
  absl::Cleanup close_in = [in] { close(in); };
  int out = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) return ErrnoError("create", to, errno);
  absl::Cleanup close_out = [out] { close(out); };
  if (fchmod(out, mode) != 0) return ErrnoError("set the mode of", to, errno);
  char buffer[64 * 1024];
  // The buffer may hold a PIN or a private key.
  absl::Cleanup wipe = [&buffer] { explicit_bzero(buffer, sizeof buffer); };
  for (;;) {
    ssize_t n = read(in, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", from, errno);
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buffer + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoError("write", to, errno);
      done += w;
    }
  }
  if (fsync(out) != 0) return ErrnoError("sync", to, errno);
  return absl::OkStatus();
}

// Copies the file or directory tree `from` to the new path `to`, modes kept;
// returns the number of files copied. Anything but files and directories
// (a socket, a symbolic link) is refused.
absl::StatusOr<std::int64_t> CopyTree(const std::string& from,
                                      const std::string& to) {
  struct stat st;
  if (lstat(from.c_str(), &st) != 0) return ErrnoError("read", from, errno);
  const mode_t mode = st.st_mode & 07777;
  if (S_ISREG(st.st_mode)) {
    RETURN_IF_ERROR(CopyFile(from, to, mode));
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(from,
                     " is neither a file nor a directory; the backup "
                     "copies only those"));
  }
  if (mkdir(to.c_str(), 0700) != 0) return ErrnoError("create", to, errno);
  if (chmod(to.c_str(), mode) != 0) {
    return ErrnoError("set the mode of", to, errno);
  }
  DIR* dir = opendir(from.c_str());
  if (dir == nullptr) return ErrnoError("list", from, errno);
  absl::Cleanup close_dir = [dir] { closedir(dir); };
  std::int64_t files = 0;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    ASSIGN_OR_RETURN(
        std::int64_t copied,
        CopyTree(absl::StrCat(from, "/", name), absl::StrCat(to, "/", name)));
    files += copied;
  }
  RETURN_IF_ERROR(SyncPath(to));
  return files;
}

// OK when nothing is at `dir` or it is an empty directory.
absl::Status CheckEmptyOrMissing(const std::string& dir) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError("inspect", dir, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " exists and is not a directory; name a new directory"));
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ErrnoError("list", dir, errno);
  absl::Cleanup close_dir = [d] { closedir(d); };
  while (dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") {
      return absl::FailedPreconditionError(absl::StrCat(
          dir,
          " exists and is not empty; name a new or empty directory "
          "(a backup never overwrites anything)"));
    }
  }
  return absl::OkStatus();
}

std::string Normalized(const std::string& path) {
  std::string normal = std::filesystem::path(path).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

}  // namespace

std::unique_ptr<VaultBackup> VaultBackup::Embedded(
    SqliteStorage* storage, hsm::WriteFencedKeyStore* keys,
    VaultBackupOptions options) {
  options.data_dir = Normalized(options.data_dir);
  const auto or_default = [&options](std::string& path, const char* name) {
    path = path.empty() ? absl::StrCat(options.data_dir, "/", name)
                        : Normalized(path);
  };
  or_default(options.hsm_tokens_dir, hsm::kSoftHsmTokensDir);
  or_default(options.user_pin_file, hsm::kUserPinFile);
  or_default(options.so_pin_file, hsm::kSoPinFile);
  return std::unique_ptr<VaultBackup>(
      new VaultBackup(storage, keys, std::move(options), ""));
}

std::unique_ptr<VaultBackup> VaultBackup::Refusing(std::string reason) {
  return std::unique_ptr<VaultBackup>(
      new VaultBackup(nullptr, nullptr, {}, std::move(reason)));
}

absl::Status VaultBackup::CheckTarget(const std::string& dir) const {
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        "the backup directory must be set (an absolute path on sejfd's host)");
  }
  if (dir.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("the backup directory \"", dir,
                     "\" is relative; give an absolute path on sejfd's host"));
  }
  if (dir.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        "the backup directory's path must not contain a line break");
  }
  const std::string target = Normalized(dir);
  if (target == "/") {
    return absl::InvalidArgumentError(
        "the backup directory must not be the root directory");
  }
  const std::pair<const char*, const std::string*> sources[] = {
      {"the data directory", &options_.data_dir},
      {"the HSM token directory", &options_.hsm_tokens_dir}};
  for (const auto& [what, source] : sources) {
    if (!source->empty() &&
        (target == *source ||
         absl::StartsWith(target, absl::StrCat(*source, "/")))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the backup directory ", target, " is inside ", what, " ", *source,
          "; put backups elsewhere (another disk, ideally)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<VaultBackupReport> VaultBackup::BackupTo(
    const std::string& dir) {
  if (!refusal_.empty()) return absl::FailedPreconditionError(refusal_);
  RETURN_IF_ERROR(CheckTarget(dir));
  absl::MutexLock one(&one_at_a_time_);
  const std::string target = Normalized(dir);
  const std::filesystem::path target_path(target);
  const std::string parent = target_path.parent_path().string();
  const std::string name = target_path.filename().string();
  RETURN_IF_ERROR(CheckEmptyOrMissing(target));
  struct stat st;
  if (stat(parent.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::FailedPreconditionError(
          absl::StrCat("the backup directory's parent ", parent,
                       " does not exist; create it first (sejfd creates only ",
                       target, ")"));
    }
    return ErrnoError("inspect", parent, errno);
  }
  std::string staging = absl::StrCat(parent, "/.", name, ".partial-XXXXXX");
  if (mkdtemp(staging.data()) == nullptr) {
    return ErrnoError("create a directory in", parent, errno);
  }
  bool renamed = false;
  absl::Cleanup remove_staging = [&] {
    if (renamed) return;
    std::error_code ignored;
    std::filesystem::remove_all(staging, ignored);
  };
  ASSIGN_OR_RETURN(VaultBackupReport report, CopyInto(staging, target));
  RETURN_IF_ERROR(SyncPath(staging));
  // Replaces a missing or empty `target` in one step.
  if (rename(staging.c_str(), target.c_str()) != 0) {
    int err = errno;
    if (err == ENOTEMPTY || err == EEXIST || err == ENOTDIR) {
      return absl::FailedPreconditionError(
          absl::StrCat(target,
                       " was filled by someone else during the backup; name a "
                       "new directory"));
    }
    return ErrnoError(absl::StrCat("rename ", staging, " to"), target, err);
  }
  renamed = true;
  RETURN_IF_ERROR(SyncPath(parent));
  return report;
}

absl::StatusOr<VaultBackupReport> VaultBackup::CopyInto(
    const std::string& staging, const std::string& dir) {
  VaultBackupReport report;
  report.dir = dir;
  const std::string& data = options_.data_dir;
  std::optional<SqliteStorage::Snapshot> snapshot;
  {
    // The instant T of the header comment: no HSM object changes while the
    // token directory is copied and the database's snapshot is taken.
    ASSIGN_OR_RETURN(hsm::WriteFencedKeyStore::Freeze freeze,
                     keys_->FreezeWrites(options_.freeze_timeout));
    const absl::Time frozen = absl::Now();
    ASSIGN_OR_RETURN(
        report.hsm_files,
        CopyTree(options_.hsm_tokens_dir,
                 absl::StrCat(staging, "/", hsm::kSoftHsmTokensDir)));
    absl::StatusOr<SqliteStorage::Snapshot> taken = storage_->TakeSnapshot();
    if (!taken.ok()) return taken.status();
    snapshot.emplace(*std::move(taken));
    report.hsm_frozen = absl::Now() - frozen;
  }
  // The database as of T, copied while everything goes on.
  ASSIGN_OR_RETURN(SqliteBackupResult database,
                   snapshot->CopyTo(absl::StrCat(staging, "/", kDatabaseFile)));
  snapshot.reset();
  report.database_bytes = database.bytes;
  // (source, name in DIR); the SO PIN is needed only while a token is
  // being created, and may be absent.
  std::vector<std::pair<std::string, std::string>> entries = {
      {options_.user_pin_file, hsm::kUserPinFile}};
  if (PathExists(options_.so_pin_file)) {
    entries.push_back({options_.so_pin_file, hsm::kSoPinFile});
  }
  for (const std::string& entry : options_.copied_entries) {
    entries.push_back({absl::StrCat(data, "/", entry), entry});
  }
  for (const auto& [from, name] : entries) {
    ASSIGN_OR_RETURN(std::int64_t files,
                     CopyTree(from, absl::StrCat(staging, "/", name)));
    report.other_files += files;
  }
  RETURN_IF_ERROR(
      WriteFileAtomically(absl::StrCat(staging, "/", hsm::kSoftHsmConfigFile),
                          hsm::SoftHsmConfigText(dir), 0600));
  report.other_files += 1;
  return report;
}

}  // namespace sejf::vault
