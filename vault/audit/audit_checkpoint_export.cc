#include "vault/audit/audit_checkpoint_export.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace sejf::vault {
namespace {

absl::Status FileError(const std::string& path, absl::string_view what,
                       int error) {
  return absl::FailedPreconditionError(
      absl::StrCat("audit checkpoint export file ", path, ": ", what, ": ",
                   std::strerror(error)));
}

// An O_APPEND descriptor of `path`, created 0640 if need be; -1 and errno.
int OpenForAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

}  // namespace

std::string AuditCheckpointJson(const AuditCheckpoint& checkpoint) {
  return absl::StrCat(
      "{\"sequence\":", checkpoint.sequence, ",\"hash\":\"",
      absl::BytesToHexString(checkpoint.hash),
      "\",\"time_us\":", absl::ToUnixMicros(checkpoint.time),
      ",\"format\":", checkpoint.format,
      ",\"previous_sequence\":", checkpoint.previous_sequence,
      ",\"previous_digest\":\"",
      absl::BytesToHexString(checkpoint.previous_digest), "\",\"digest\":\"",
      absl::BytesToHexString(AuditCheckpointDigest(checkpoint)),
      "\",\"signature\":\"", absl::BytesToHexString(checkpoint.signature),
      "\",\"public_key\":\"", absl::BytesToHexString(checkpoint.public_key),
      "\"}");
}

absl::Status CheckCheckpointExportFile(const std::string& path) {
  int fd = OpenForAppend(path);
  if (fd < 0) return FileError(path, "cannot open it for appending", errno);
  ::close(fd);
  return absl::OkStatus();
}

absl::Status AppendCheckpointsToFile(
    const std::string& path, const std::vector<AuditCheckpoint>& checkpoints) {
  if (checkpoints.empty()) return absl::OkStatus();
  std::string lines;
  for (const AuditCheckpoint& checkpoint : checkpoints) {
    absl::StrAppend(&lines, AuditCheckpointJson(checkpoint), "\n");
  }
  int fd = OpenForAppend(path);
  if (fd < 0) return FileError(path, "cannot open it for appending", errno);
  absl::string_view rest = lines;
  while (!rest.empty()) {
    ssize_t written = ::write(fd, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      const int error = errno;
      ::close(fd);
      return FileError(path, "write failed", error);
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return FileError(path, "fsync failed", error);
  }
  if (::close(fd) != 0) return FileError(path, "close failed", errno);
  return absl::OkStatus();
}

}  // namespace sejf::vault
