// sejfd end to end: a real daemon process on a temporary data directory,
// real mutual TLS on 127.0.0.1, the real unix socket, a real SoftHSM2 token.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/files.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sejf/v1/identity.grpc.pb.h"
#include "sejf/v1/key_custody.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "server/policy/operations.h"
#include "server/tls/certificate_issuer.h"
#include "tests/testing/sejfd_test.h"
#include "tests/testing/tls_client.h"

namespace sejf::testing {
namespace {

using ::sejf::server::CertificateSpec;
using ::sejf::server::CertificateUsage;

std::string Read(const std::string& path) {
  auto content = ReadFile(path);
  EXPECT_TRUE(content.ok()) << content.status();
  return content.value_or("");
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class DaemonE2eTest : public SejfdTest {
 protected:
  void SetUp() override { StartSejfd(); }

  std::string Tls(const std::string& name) { return Read(TlsPath(name)); }

  std::shared_ptr<grpc::Channel> AdminChannel() {
    return TlsChannel(daemon().tls_address(), Tls("ca.pem"), Tls("admin.pem"),
                      Tls("admin.key"));
  }

  static grpc::Status WhoAmI(const std::shared_ptr<grpc::Channel>& channel,
                             sejf::v1::WhoAmIResponse* response) {
    auto context = ShortDeadline();
    return sejf::v1::Identity::NewStub(channel)->WhoAmI(context.get(), {},
                                                        response);
  }

  static grpc::Status ListKeys(const std::shared_ptr<grpc::Channel>& channel) {
    auto context = ShortDeadline();
    sejf::v1::ListKeysResponse response;
    return sejf::v1::KeyCustody::NewStub(channel)->ListKeys(context.get(), {},
                                                            &response);
  }

  static grpc::Status GenerateKey(
      const std::shared_ptr<grpc::Channel>& channel) {
    auto context = ShortDeadline();
    static int counter = 0;
    sejf::v1::GenerateKeyRequest request;
    request.set_key_id(absl::StrCat("k", ++counter));
    request.set_usage(sejf::v1::KEY_USAGE_AUTHENTICATION);
    sejf::v1::GenerateKeyResponse response;
    return sejf::v1::KeyCustody::NewStub(channel)->GenerateKey(
        context.get(), request, &response);
  }

  // Waits until the daemon's log has a line containing `needle`.
  bool WaitForLog(const std::string& needle) {
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (absl::StrContains(daemon().Stderr(), needle)) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }
};

TEST_F(DaemonE2eTest, AdminCertificateOverMutualTlsHoldsEveryOperation) {
  sejf::v1::WhoAmIResponse me;
  grpc::Status status = WhoAmI(AdminChannel(), &me);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(me.identity(), "admin");
  EXPECT_EQ(me.transport(), "tls");
  EXPECT_TRUE(me.dev_mode());
  EXPECT_EQ(me.granted_operations_size(),
            static_cast<int>(server::kOperationCount));  // every operation
  EXPECT_EQ(me.granted_operations(0), "keys.read");
}

TEST_F(DaemonE2eTest, HealthIsServingOverMutualTls) {
  auto context = ShortDeadline();
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = grpc::health::v1::Health::NewStub(AdminChannel())
                            ->Check(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(DaemonE2eTest, ClientWithoutCertificateIsRefused) {
  sejf::v1::WhoAmIResponse me;
  grpc::Status status =
      WhoAmI(TlsChannel(daemon().tls_address(), Tls("ca.pem"), "", ""), &me);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_TRUE(me.identity().empty());
}

TEST_F(DaemonE2eTest, CertificateFromAnotherCaIsRefusedEvenForAdmin) {
  auto other_ca = server::CreateCertificateAuthority(
      "not the sejf CA", absl::Hours(24), SystemClock::Get());
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  CertificateSpec spec;
  spec.common_name = "admin";
  spec.usage = CertificateUsage::kClient;
  spec.validity = absl::Hours(1);
  auto forged = server::IssueCertificate(other_ca->certificate_pem,
                                         other_ca->private_key_pem, spec,
                                         SystemClock::Get());
  ASSERT_TRUE(forged.ok()) << forged.status();
  sejf::v1::WhoAmIResponse me;
  grpc::Status status = WhoAmI(
      TlsChannel(daemon().tls_address(), Tls("ca.pem"), forged->certificate_pem,
                 std::string(SecretView(forged->private_key_pem))),
      &me);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
}

TEST_F(DaemonE2eTest, UnknownIdentityFromDevCaIsDeniedNamingTheOperation) {
  auto channel = ChannelAs("erp-1");
  sejf::v1::WhoAmIResponse me;
  ASSERT_TRUE(WhoAmI(channel, &me).ok());
  EXPECT_EQ(me.identity(), "erp-1");
  EXPECT_EQ(me.granted_operations_size(), 0);

  grpc::Status status = ListKeys(channel);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "keys.read"))
      << status.error_message();
}

TEST_F(DaemonE2eTest, UnixSocketCallerIsIdentifiedByItsUid) {
  EXPECT_EQ(daemon().unix_socket(), data_dir() + "/sejf.sock");
  EXPECT_EQ(ModeOf(daemon().unix_socket()), 0600u);
  sejf::v1::WhoAmIResponse me;
  grpc::Status status = WhoAmI(SocketChannel(), &me);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(me.identity(), absl::StrCat("unix:", geteuid()));
  EXPECT_EQ(me.transport(), "unix");
  EXPECT_EQ(
      me.granted_operations_size(),
      static_cast<int>(server::kOperationCount));  // the socket owner is admin
}

TEST_F(DaemonE2eTest, DataDirectoryHoldsEverythingPrivately) {
  EXPECT_EQ(ModeOf(data_dir()), 0700u);
  for (const char* secret : {"hsm-pin", "hsm-so-pin", "sejf.db", "tls/ca.key",
                             "tls/server.key", "tls/admin.key"}) {
    EXPECT_EQ(ModeOf(data_dir() + "/" + secret), 0600u) << secret;
  }
  for (const char* file :
       {"softhsm2.conf", "tls/ca.pem", "tls/server.pem", "tls/admin.pem"}) {
    EXPECT_TRUE(PathExists(data_dir() + "/" + file)) << file;
  }
  EXPECT_FALSE(std::filesystem::is_empty(data_dir() + "/tokens"));
  // The banner tells the CLI user what to export.
  EXPECT_TRUE(absl::StrContains(
      daemon().banner(),
      absl::StrCat("export SEJF_CLIENT_CERT=", data_dir(), "/tls/admin.pem")))
      << daemon().banner();
}

TEST_F(DaemonE2eTest, EveryRequestGetsOneLogLineWithIdAndOutcome) {
  sejf::v1::WhoAmIResponse me;
  ASSERT_TRUE(WhoAmI(AdminChannel(), &me).ok());
  ASSERT_EQ(ListKeys(ChannelAs("erp-1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(WaitForLog("code=PERMISSION_DENIED"));
  std::string log = daemon().Stderr();
  int rpc_lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (!absl::StrContains(line, " rpc ")) continue;
    ++rpc_lines;
    EXPECT_TRUE(absl::StrContains(line, "request_id=")) << line;
    EXPECT_TRUE(absl::StrContains(line, "latency_ms=")) << line;
  }
  EXPECT_EQ(rpc_lines, 2) << log;
  EXPECT_TRUE(
      absl::StrContains(log, "identity=admin method=/sejf.v1.Identity/WhoAmI"))
      << log;
  EXPECT_TRUE(
      absl::StrContains(log,
                        "identity=erp-1 method=/sejf.v1.KeyCustody/ListKeys "
                        "operation=keys.read"))
      << log;
}

TEST_F(DaemonE2eTest, SigtermExitsZeroAndRemovesTheSocket) {
  std::optional<int> code = daemon().Stop();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon().Stderr();
  EXPECT_FALSE(PathExists(data_dir() + "/sejf.sock"));
  EXPECT_TRUE(absl::StrContains(daemon().Stderr(), "stopped"));
}

TEST_F(DaemonE2eTest, SecondStartReusesTheDataDirectory) {
  const std::vector<std::string> kept = {
      "tls/ca.pem", "tls/ca.key", "tls/admin.pem", "tls/server.pem",
      "hsm-pin",    "hsm-so-pin", "softhsm2.conf"};
  std::map<std::string, std::string> before;
  for (const auto& f : kept) before[f] = Read(data_dir() + "/" + f);
  ASSERT_EQ(daemon().Stop(), 0);

  StartSejfd();
  for (const auto& f : kept) {
    EXPECT_EQ(Read(data_dir() + "/" + f), before[f]) << f << " changed";
  }
  sejf::v1::WhoAmIResponse me;
  grpc::Status status = WhoAmI(AdminChannel(), &me);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(me.identity(), "admin");
}

TEST_F(DaemonE2eTest, SecondDaemonOnTheSameSocketIsRefused) {
  SejfdOptions options;
  options.data_dir = data_dir();
  auto second = SejfdProcess::Start(options);
  EXPECT_FALSE(second.ok());
  // The first one still serves.
  sejf::v1::WhoAmIResponse me;
  EXPECT_TRUE(WhoAmI(SocketChannel(), &me).ok());
}

class PolicyE2eTest : public DaemonE2eTest {
 protected:
  void SetUp() override {
    WriteConfig("keys.read");
    StartSejfd();
  }
  void WriteConfig(const std::string& operation) {
    WriteSejfdConfig(
        absl::StrCat("[[policy]]\n"
                     "name = \"erp\"\n"
                     "identities = [\"erp-*\"]\n"
                     "operations = [\"",
                     operation,
                     "\"]\n"
                     "credentials = [\"*\"]\n"));
  }
  void Reload(const std::string& expect_in_log) {
    size_t before = CountInLog(expect_in_log);
    daemon().process().Signal(SIGHUP);
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (CountInLog(expect_in_log) == before && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_GT(CountInLog(expect_in_log), before) << daemon().Stderr();
  }
  size_t CountInLog(const std::string& needle) {
    std::string log = daemon().Stderr();
    size_t n = 0;
    for (size_t p = log.find(needle); p != std::string::npos;
         p = log.find(needle, p + 1)) {
      ++n;
    }
    return n;
  }
};

TEST_F(PolicyE2eTest, RuleFromConfigGrantsOnlyItsOperations) {
  auto erp = ChannelAs("erp-7");
  EXPECT_EQ(ListKeys(erp).error_code(), grpc::StatusCode::OK);
  grpc::Status denied = GenerateKey(erp);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(absl::StrContains(denied.error_message(), "keys.manage"));
  // Other identities match no rule.
  EXPECT_EQ(ListKeys(ChannelAs("crm-1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PolicyE2eTest, SighupReloadsPolicyAndBadFileKeepsTheOldOne) {
  auto erp = ChannelAs("erp-7");
  WriteConfig("keys.manage");
  Reload("policy_reloaded");
  EXPECT_EQ(GenerateKey(erp).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(ListKeys(erp).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  WriteConfig("keys.mangle");  // not an operation
  Reload("policy_reload_failed");
  EXPECT_TRUE(absl::StrContains(daemon().Stderr(), "keys.mangle"));
  EXPECT_EQ(GenerateKey(erp).error_code(), grpc::StatusCode::OK);
}

using DaemonLogE2eTest = SejfdTest;

TEST_F(DaemonLogE2eTest, JsonLogFormatWritesOneParsableObjectPerLine) {
  SejfdConfig json_log;
  json_log.extra_args = {"--log-format", "json"};
  ASSERT_NO_FATAL_FAILURE(StartSejfd(json_log));
  sejf::v1::WhoAmIResponse me;
  auto context = ShortDeadline();
  ASSERT_TRUE(sejf::v1::Identity::NewStub(SocketChannel())
                  ->WhoAmI(context.get(), {}, &me)
                  .ok());
  ASSERT_EQ(daemon().Stop(), 0);
  int rpc_lines = 0;
  for (absl::string_view line :
       absl::StrSplit(daemon().Stderr(), '\n', absl::SkipEmpty())) {
    nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    if (event["event"] == "rpc") {
      ++rpc_lines;
      EXPECT_EQ(event["identity"], absl::StrCat("unix:", geteuid()));
      EXPECT_EQ(event["method"], "/sejf.v1.Identity/WhoAmI");
      EXPECT_EQ(event["code"], "OK");
      EXPECT_EQ(event["request_id"].get<std::string>().size(), 16u);
    }
  }
  EXPECT_EQ(rpc_lines, 1);
}

TEST(DaemonConfigE2eTest, UnknownKeyStopsStartUpNamingIt) {
  TempDir tmp;
  std::string config = tmp.path() + "/sejfd.toml";
  ASSERT_TRUE(
      WriteFileAtomically(config, "[listen]\ntpc = \"127.0.0.1:1\"\n", 0600)
          .ok());
  CommandResult r = RunCommand({SejfdBinary(), "--dev", "--data-dir",
                                tmp.path() + "/data", "--config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "listen.tpc")) << r.err;
  EXPECT_FALSE(PathExists(tmp.path() + "/data")) << "nothing may be created";
}

TEST(DaemonConfigE2eTest, VersionFlagPrintsVersion) {
  CommandResult r = RunCommand({SejfdBinary(), "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(absl::StartsWith(r.out, "sejfd ")) << r.out;
}

}  // namespace
}  // namespace sejf::testing
