// A gRPC client written in another language (Node's @grpc/grpc-js, from
// tools/) reaches sejfd's health and reflection services over mutual TLS
// with the dev admin certificate, and is refused without it.
#include "absl/strings/match.h"
#include "common/files.h"
#include "gtest/gtest.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using InteropE2eTest = SejfdTest;

TEST_F(InteropE2eTest,
       NodeClientReachesHealthAndReflectionOnlyWithCertificate) {
  const std::string script =
      SourceDir() + "/tests/interop/health_reflection.js";
  const std::string node_path = SourceDir() + "/tools/node_modules";
  ASSERT_TRUE(PathExists(node_path + "/@grpc/grpc-js"))
      << "run `make deps` to install tools/ (npm)";
  ASSERT_NO_FATAL_FAILURE(StartSejfd());
  CommandResult r = RunCommand(
      {"/usr/bin/env", "node", script, daemon().tls_address(),
       TlsPath("ca.pem"), TlsPath("admin.pem"), TlsPath("admin.key")},
      {{"NODE_PATH", node_path}});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "ok   health with admin certificate"))
      << r.out;
}

}  // namespace
}  // namespace sejf::testing
