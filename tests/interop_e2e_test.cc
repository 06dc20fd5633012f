// A gRPC client written in another language (Node's @grpc/grpc-js, from
// tools/) reaches sejfd's health and reflection services over mutual TLS
// with the dev admin certificate, and is refused without it.
#include "absl/strings/match.h"
#include "common/files.h"
#include "gtest/gtest.h"
#include "tests/testing/sejfd_process.h"

namespace sejf::testing {
namespace {

TEST(InteropE2eTest, NodeClientReachesHealthAndReflectionOnlyWithCertificate) {
  const std::string script =
      SourceDir() + "/tests/interop/health_reflection.js";
  const std::string node_path = SourceDir() + "/tools/node_modules";
  ASSERT_TRUE(PathExists(node_path + "/@grpc/grpc-js"))
      << "run `make deps` to install tools/ (npm)";
  TempDir tmp;
  SejfdOptions options;
  options.data_dir = tmp.path() + "/data";
  auto daemon = SejfdProcess::Start(options);
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  const std::string tls = options.data_dir + "/tls/";
  CommandResult r =
      RunCommand({"/usr/bin/env", "node", script, (*daemon)->tls_address(),
                  tls + "ca.pem", tls + "admin.pem", tls + "admin.key"},
                 {{"NODE_PATH", node_path}});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "ok   health with admin certificate"))
      << r.out;
}

}  // namespace
}  // namespace sejf::testing
