#include "common/files.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace sejf {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  ::sejf::testing::TempDir tmp_;
  std::string dir_ = tmp_.path();
};

TEST_F(FilesTest, WriteAtomicallyCreatesFileWithExactMode) {
  std::string path = dir_ + "/pin";
  ASSERT_TRUE(WriteFileAtomically(path, "1234", 0600).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*ReadFile(path), "1234");
}

TEST_F(FilesTest, ReadSecretFileStripsOneTrailingNewline) {
  std::string path = dir_ + "/pin";
  ASSERT_TRUE(WriteFileAtomically(path, "s3cret\r\n", 0600).ok());
  auto secret = ReadSecretFile(path);
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(SecretView(*secret), "s3cret");
}

TEST_F(FilesTest, ReadSecretFileRefusesGroupReadableFile) {
  std::string path = dir_ + "/pin";
  ASSERT_TRUE(WriteFileAtomically(path, "x", 0640).ok());
  auto secret = ReadSecretFile(path);
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(secret.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(FilesTest, ReadFileOfMissingPathIsNotFoundAndNamesIt) {
  auto r = ReadFile(dir_ + "/nope");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nope"), std::string::npos);
}

TEST_F(FilesTest, EnsureDirectoryRefusesSharedDirectoryWhenPrivateRequired) {
  std::string path = dir_ + "/data";
  ASSERT_EQ(mkdir(path.c_str(), 0755), 0);
  chmod(path.c_str(), 0755);
  EXPECT_EQ(EnsureDirectory(path, 0700, true).code(),
            absl::StatusCode::kFailedPrecondition);
  chmod(path.c_str(), 0700);
  EXPECT_TRUE(EnsureDirectory(path, 0700, true).ok());
}

}  // namespace
}  // namespace sejf
