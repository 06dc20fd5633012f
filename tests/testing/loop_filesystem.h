// LoopFilesystem: a small ext4 file system in an image file, mounted through
// a loop device, on which a test can make storage fail under a running
// process. Needs root (the e2e tests run as root, locally and in CI).
//
//   ASSERT_OK_AND_ASSIGN(auto fs, LoopFilesystem::Mount(dir + "/db.img",
//                                                       dir + "/db", 16));
//   fs->Freeze({"sejf.db", "sejf.db-wal"});  // writes now fail (EPERM)
//   fs->Thaw();
//   fs->Fill();                              // writes now fail (ENOSPC)
//   fs->Unfill();
//
// Why ext4 and chattr +i: root ignores file modes, a read-only remount is
// refused while a file is open for writing ("mount point is busy"), and
// tmpfs ignores the immutable flag for descriptors already open. ext4 checks
// it on every write (EPERM), also through descriptors opened before, which
// is what a running daemon holds. ext4 is made with no blocks reserved for
// root (-m 0), so Fill really leaves nothing to the root-run daemon.
//
// The destructor clears the flags, unmounts (lazily if something still has
// a file open) and removes the image, so a failed test leaves no mount.
//
// Thread-safety: not thread-safe.
#ifndef SEJF_TESTS_TESTING_LOOP_FILESYSTEM_H_
#define SEJF_TESTS_TESTING_LOOP_FILESYSTEM_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sejf::testing {

class LoopFilesystem {
 public:
  // Makes an ext4 image of `size_mb` MiB at `image` and mounts it at
  // `mount_point` (created if missing). FAILED_PRECONDITION with the
  // commands' output when that is not possible (not root, no loop devices).
  static absl::StatusOr<std::unique_ptr<LoopFilesystem>> Mount(
      const std::string& image, const std::string& mount_point, int size_mb);

  ~LoopFilesystem();
  LoopFilesystem(const LoopFilesystem&) = delete;
  LoopFilesystem& operator=(const LoopFilesystem&) = delete;

  const std::string& path() const { return mount_point_; }

  // chattr +i on the mount point's directory and on each of `files` (names
  // inside it; missing ones are skipped): no file can be created, renamed or
  // removed there, and writes to those files fail, also through open
  // descriptors.
  absl::Status Freeze(const std::vector<std::string>& files);
  // Clears what Freeze set.
  absl::Status Thaw();

  // Writes a filler file until the file system has no free block left.
  absl::Status Fill();
  // Removes the filler.
  absl::Status Unfill();

 private:
  LoopFilesystem(std::string image, std::string mount_point)
      : image_(std::move(image)), mount_point_(std::move(mount_point)) {}
  std::string FillerPath() const;

  const std::string image_;
  const std::string mount_point_;
  std::vector<std::string> frozen_;
};

}  // namespace sejf::testing

#endif  // SEJF_TESTS_TESTING_LOOP_FILESYSTEM_H_
