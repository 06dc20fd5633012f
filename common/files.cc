#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/random.h"

namespace sejf {
namespace {

absl::Status ErrnoStatus(absl::string_view what, const std::string& path,
                         int err) {
  auto code = err == ENOENT ? absl::StatusCode::kNotFound
              : (err == EACCES || err == EPERM)
                  ? absl::StatusCode::kFailedPrecondition
                  : absl::StatusCode::kInternal;
  return absl::Status(
      code, absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err)));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

template <typename Buffer>
absl::Status ReadAll(const std::string& path, Buffer& out) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open", path, errno);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus("stat", path, errno);
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path, errno);
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  sodium_memzero(buf, sizeof(buf));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::string out;
  if (auto s = ReadAll(path, out); !s.ok()) return s;
  return out;
}

absl::StatusOr<SecretBytes> ReadSecretFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     " holds a secret but group or others may access "
                     "it; run: chmod 600 ",
                     path));
  }
  SecretBytes out;
  if (auto s = ReadAll(path, out); !s.ok()) return s;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view data, mode_t mode) {
  std::filesystem::path target(path);
  std::string dir =
      target.has_parent_path() ? target.parent_path().string() : ".";
  std::string tmp = absl::StrCat(path, ".tmp-", RandomHex(6));
  {
    Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd.get() < 0) return ErrnoStatus("create", tmp, errno);
    if (fchmod(fd.get(), mode) != 0) return ErrnoStatus("chmod", tmp, errno);
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = write(fd.get(), data.data() + off, data.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        unlink(tmp.c_str());
        return ErrnoStatus("write", tmp, err);
      }
      off += static_cast<size_t>(n);
    }
    if (fsync(fd.get()) != 0) {
      int err = errno;
      unlink(tmp.c_str());
      return ErrnoStatus("fsync", tmp, err);
    }
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus("rename into", path, err);
  }
  Fd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) fsync(dfd.get());
  return absl::OkStatus();
}

absl::Status EnsureDirectory(const std::string& path, mode_t mode,
                             bool require_private) {
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return ErrnoStatus("create directory", path, errno);
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exists but is not a directory"));
  }
  if (require_private && (st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " must be private to its owner; run: chmod 700 ", path));
  }
  return absl::OkStatus();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string AbsolutePath(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace sejf
