// For tests only: the `openssl` command line as an independent verifier,
// and a scratch directory for the files it reads. Not thread-safe.
#ifndef SEJF_SIGNER_X509_TESTING_OPENSSL_CLI_H_
#define SEJF_SIGNER_X509_TESTING_OPENSSL_CLI_H_

#include <string>
#include <vector>

#include "common/testing/temp_dir.h"

namespace sejf::signer::testing {

// A fresh directory under /tmp, removed with its contents on destruction.
// The shared TempDir (common/testing/temp_dir.h) under its old name here.
using ScratchDir = ::sejf::testing::TempDir;

struct OpensslResult {
  int exit_code = -1;  // -1 when it could not run or died of a signal
  std::string out;     // stdout and stderr together, in order
};

// Runs `openssl` with `args` (no shell: arguments are passed as they are)
// and LC_ALL=C.UTF-8.
OpensslResult RunOpenssl(const std::vector<std::string>& args);

// The file's content; "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace sejf::signer::testing

#endif  // SEJF_SIGNER_X509_TESTING_OPENSSL_CLI_H_
