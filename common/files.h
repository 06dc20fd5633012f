// Small file-system helpers with explicit permissions and clear errors.
// Every function is thread-safe (no shared state); errors name the path.
#ifndef SEJF_COMMON_FILES_H_
#define SEJF_COMMON_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret.h"

namespace sejf {

// The whole file. NOT_FOUND when it does not exist, else
// FAILED_PRECONDITION/INTERNAL naming the path and errno text.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// The whole file into zeroing memory, with one trailing "\n" or "\r\n"
// removed (PIN and token files are often written by editors). Refuses
// (FAILED_PRECONDITION) a file that group or others may read.
absl::StatusOr<SecretBytes> ReadSecretFile(const std::string& path);

// Writes `data` to `path` with permissions `mode`, atomically: a temporary
// file in the same directory, fsync, rename, fsync of the directory. The
// file never exists with wider permissions than `mode`.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view data, mode_t mode);

// Creates `path` (not its parents) with permissions `mode`, or accepts an
// existing directory. FAILED_PRECONDITION if it exists but is not a directory,
// or when `require_private` and it is accessible to group or others.
absl::Status EnsureDirectory(const std::string& path, mode_t mode,
                             bool require_private);

bool PathExists(const std::string& path);

// `path` made absolute against the current directory (no symlink resolution).
std::string AbsolutePath(const std::string& path);

}  // namespace sejf

#endif  // SEJF_COMMON_FILES_H_
