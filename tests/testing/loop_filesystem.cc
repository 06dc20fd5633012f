#include "tests/testing/loop_filesystem.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/testing/subprocess.h"

namespace sejf::testing {
namespace {

absl::Status Run(const std::vector<std::string>& argv) {
  CommandResult r = RunCommand(argv);
  if (r.exit_code == 0) return absl::OkStatus();
  std::string command;
  for (const std::string& arg : argv) absl::StrAppend(&command, arg, " ");
  return absl::FailedPreconditionError(
      absl::StrCat(command, "failed (", r.exit_code, "): ", r.out, r.err));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoopFilesystem>> LoopFilesystem::Mount(
    const std::string& image, const std::string& mount_point, int size_mb) {
  std::error_code ec;
  std::filesystem::create_directories(mount_point, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", mount_point, ": ", ec.message()));
  }
  absl::Status made =
      Run({"/usr/bin/truncate", "-s", absl::StrCat(size_mb, "M"), image});
  if (made.ok()) {
    made = Run({"/usr/sbin/mkfs.ext4", "-q", "-F", "-m", "0", image});
  }
  if (!made.ok()) return made;
  if (absl::Status mounted =
          Run({"/usr/bin/mount", "-o", "loop", image, mount_point});
      !mounted.ok()) {
    std::filesystem::remove(image, ec);
    return mounted;
  }
  return std::unique_ptr<LoopFilesystem>(
      new LoopFilesystem(image, mount_point));
}

LoopFilesystem::~LoopFilesystem() {
  Thaw().IgnoreError();
  if (!Run({"/usr/bin/umount", mount_point_}).ok()) {
    // Something still has a file open there (a daemon a failed test left):
    // detach now, the kernel finishes when it lets go.
    Run({"/usr/bin/umount", "-l", mount_point_}).IgnoreError();
  }
  std::error_code ec;
  std::filesystem::remove(image_, ec);
}

absl::Status LoopFilesystem::Freeze(const std::vector<std::string>& files) {
  for (const std::string& name : files) {
    std::string path = absl::StrCat(mount_point_, "/", name);
    if (!std::filesystem::exists(path)) continue;
    absl::Status s = Run({"/usr/bin/chattr", "+i", path});
    if (!s.ok()) return s;
    frozen_.push_back(path);
  }
  absl::Status s = Run({"/usr/bin/chattr", "+i", mount_point_});
  if (!s.ok()) return s;
  frozen_.push_back(mount_point_);
  return absl::OkStatus();
}

absl::Status LoopFilesystem::Thaw() {
  absl::Status first = absl::OkStatus();
  for (const std::string& path : frozen_) {
    absl::Status s = Run({"/usr/bin/chattr", "-i", path});
    if (first.ok()) first = s;
  }
  frozen_.clear();
  return first;
}

std::string LoopFilesystem::FillerPath() const {
  return absl::StrCat(mount_point_, "/filler");
}

absl::Status LoopFilesystem::Fill() {
  int fd = open(FillerPath().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", FillerPath(), ": ", strerror(errno)));
  }
  // Big writes first, then single bytes to take the last partial block.
  static const std::string kChunk(1 << 16, 'x');
  for (std::size_t size : {kChunk.size(), std::size_t{4096}, std::size_t{1}}) {
    while (write(fd, kChunk.data(), size) > 0) {
    }
  }
  int err = errno;
  fsync(fd);
  close(fd);
  if (err != ENOSPC) {
    return absl::FailedPreconditionError(
        absl::StrCat("filling ", mount_point_, " stopped with ", strerror(err),
                     ", not ENOSPC"));
  }
  return absl::OkStatus();
}

absl::Status LoopFilesystem::Unfill() {
  std::error_code ec;
  std::filesystem::remove(FillerPath(), ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot remove ", FillerPath(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace sejf::testing
