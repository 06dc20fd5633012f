// A throwaway directory for tests: the one temp-dir type every layer's tests
// use (hsm, server, signer, the e2e kit).
//
// Thread-safety: path(), Path() and Write() may be called from several
// threads; construction and destruction may not race with them.
#ifndef SEJF_COMMON_TESTING_TEMP_DIR_H_
#define SEJF_COMMON_TESTING_TEMP_DIR_H_

#include <string>

namespace sejf::testing {

// A fresh directory under $TMPDIR (or /tmp), mode 0700, removed with
// everything in it by the destructor. Aborts the test binary when it cannot
// be created (nothing a test does afterwards would mean anything).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name.
  std::string Path(const std::string& name) const;
  // `data` written (bytes as they are) to a new file path()/name; its path.
  // Aborts the test binary when the file cannot be written.
  std::string Write(const std::string& name, const std::string& data) const;

 private:
  std::string path_;
};

}  // namespace sejf::testing

#endif  // SEJF_COMMON_TESTING_TEMP_DIR_H_
