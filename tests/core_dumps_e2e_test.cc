// Secrets never reach a core file: sejfd and sejf (while it holds a key's
// password) run with a core-file limit of zero, read from /proc as any
// operator would.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::ContainsRegex;

// The "Max core file size" line of /proc/PID/limits: "0 0" (soft, hard)
// when no core file can be written.
std::string CoreLimitOf(pid_t pid) {
  std::ifstream limits(absl::StrCat("/proc/", pid, "/limits"));
  std::string line;
  while (std::getline(limits, line)) {
    if (line.rfind("Max core file size", 0) == 0) return line;
  }
  return "";
}

class CoreDumpsE2eTest : public SejfdTest {};

TEST_F(CoreDumpsE2eTest, SejfdWritesNoCoreFile) {
  StartSejfd();
  EXPECT_THAT(CoreLimitOf(daemon().process().pid()),
              ContainsRegex("^Max core file size +0 +0 "));
}

TEST_F(CoreDumpsE2eTest, SejfWritesNoCoreFileWhileItHoldsAPassword) {
  StartSejfd();
  const std::string dir = temp_dir();
  const std::string key = dir + "/encrypted.key";
  const std::string cert = dir + "/cert.pem";
  ASSERT_EQ(
      Shell(absl::StrCat("openssl req -x509 -newkey ec -pkeyopt "
                         "ec_paramgen_curve:P-256 -keyout ",
                         key, " -out ", cert,
                         " -days 30 -subj /CN=core -passout pass:core-pw 2>&1"))
          .exit_code,
      0);
  // The password comes through a FIFO: sejf blocks opening it, holding
  // the encrypted key, until the test writes.
  const std::string fifo = dir + "/password";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Subprocess sejf({SejfCliBinary(), "--addr", "unix:" + daemon().unix_socket(),
                   "key", "import", "--name", "core", "--certificate", cert,
                   "--private-key", key, "--password-file", fifo},
                  {}, dir + "/sejf.stderr");
  // Until sejf has run far enough to block on the FIFO (before its exec,
  // the child shows the test's own limits); bounded, not a timing claim.
  const std::regex no_core("^Max core file size +0 +0 ");
  std::string limit;
  for (int i = 0; i < 3000 && !std::regex_search(limit, no_core); ++i) {
    usleep(10000);
    limit = CoreLimitOf(sejf.pid());
  }
  EXPECT_THAT(limit, ContainsRegex("^Max core file size +0 +0 "));
  { std::ofstream(fifo) << "core-pw\n"; }
  EXPECT_TRUE(sejf.Wait(absl::Seconds(60)).has_value());
}

}  // namespace
}  // namespace sejf::testing
