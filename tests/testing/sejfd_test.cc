#include "tests/testing/sejfd_test.h"

#include <fstream>
#include <mutex>
#include <utility>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/secret.h"
#include "server/tls/certificate_issuer.h"
#include "tests/testing/tls_client.h"

namespace sejf::testing {

TempDir* SejfdTest::tmp_ = nullptr;
SejfdProcess* SejfdTest::daemon_ = nullptr;
SejfdConfig SejfdTest::config_;
bool SejfdTest::per_test_ = false;

namespace {
// Serialises issuing a certificate, so concurrent SejfAs calls for one new
// identity write its files once.
std::mutex certificate_mu;

// Ends `daemon` (SIGKILL if it still runs) and fails the test if a sanitizer
// reported in its stderr: under `make test-tsan` a race in sejfd (which then
// exits 66 at once, TSAN_OPTIONS=halt_on_error=1) would otherwise show only
// as the RPCs that followed it failing, or not at all in the last test.
void DeleteDaemon(SejfdProcess* daemon) {
  if (daemon == nullptr) return;
  const std::string stderr_path = daemon->stderr_path();
  delete daemon;
  const std::string err = ReadFile(stderr_path).value_or("");
  for (const char* report :
       {"WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer",
        "ERROR: AddressSanitizer"}) {
    if (err.find(report) != std::string::npos) {
      ADD_FAILURE() << "sejfd's stderr holds a sanitizer report:\n" << err;
      return;
    }
  }
}
}  // namespace

void SejfdTest::TearDown() {
  if (per_test_) Reset();
}

void SejfdTest::TearDownTestSuite() { Reset(); }

void SejfdTest::Reset() {
  DeleteDaemon(daemon_);
  daemon_ = nullptr;
  delete tmp_;
  tmp_ = nullptr;
  config_ = {};
  per_test_ = false;
}

const std::string& SejfdTest::temp_dir() {
  if (tmp_ == nullptr) {
    tmp_ = new TempDir();
    per_test_ =
        ::testing::UnitTest::GetInstance()->current_test_info() != nullptr;
  }
  return tmp_->path();
}

void SejfdTest::StartSejfd(const SejfdConfig& config) {
  DeleteDaemon(daemon_);  // a previous, stopped (or killed) one
  daemon_ = nullptr;
  config_ = config;
  if (!config.config.empty()) {
    ASSERT_NO_FATAL_FAILURE(WriteSejfdConfig(config.config));
  }
  SejfdOptions options;
  options.data_dir = data_dir();
  if (PathExists(config_path())) options.config_file = config_path();
  options.env = config_.env;
  options.extra_args = config_.extra_args;
  auto started = SejfdProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  daemon_ = started->release();
}

void SejfdTest::StopSejfd() {
  ASSERT_NE(daemon_, nullptr) << "sejfd is not running";
  ASSERT_EQ(daemon_->Stop(), std::optional<int>(0));
}

void SejfdTest::RestartSejfd() {
  SejfdConfig config = config_;
  config.config.clear();  // the file stays as it is
  ASSERT_NO_FATAL_FAILURE(StopSejfd());
  ASSERT_NO_FATAL_FAILURE(StartSejfd(config));
}

void SejfdTest::WriteSejfdConfig(const std::string& text) {
  absl::Status written = WriteFileAtomically(config_path(), text, 0600);
  ASSERT_TRUE(written.ok()) << written;
}

SejfdProcess& SejfdTest::daemon() { return *daemon_; }

CommandResult SejfdTest::RunSejfd(std::vector<std::string> args) {
  std::vector<std::string> argv = {SejfdBinary(), "--dev",    "--data-dir",
                                   data_dir(),    "--listen", "127.0.0.1:0"};
  if (PathExists(config_path())) {
    argv.insert(argv.end(), {"--config", config_path()});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

CommandResult SejfdTest::RunSejf(std::vector<std::string> args,
                                 std::map<std::string, std::string> env,
                                 const std::string& stdin_data) {
  for (const char* v :
       {"SEJF_ADDR", "SEJF_CACERT", "SEJF_CLIENT_CERT", "SEJF_CLIENT_KEY"}) {
    env.emplace(v, "");
  }
  args.insert(args.begin(), SejfCliBinary());
  return RunCommand(args, env, stdin_data);
}

CommandResult SejfdTest::Sejf(std::vector<std::string> args,
                              const std::string& stdin_data) {
  args.insert(args.begin(), {"--addr", "unix:" + daemon_->unix_socket()});
  return RunSejf(std::move(args), {}, stdin_data);
}

CommandResult SejfdTest::SejfAs(const std::string& identity,
                                std::vector<std::string> args,
                                const std::string& stdin_data) {
  auto [cert, key] = ClientCertificate(identity);
  return SejfWithCertificate(cert, key, std::move(args), stdin_data);
}

CommandResult SejfdTest::SejfWithCertificate(const std::string& cert_path,
                                             const std::string& key_path,
                                             std::vector<std::string> args,
                                             const std::string& stdin_data) {
  args.insert(args.begin(),
              {"--addr", daemon_->tls_address(), "--ca", TlsPath("ca.pem"),
               "--cert", cert_path, "--key", key_path});
  return RunSejf(std::move(args), {}, stdin_data);
}

std::shared_ptr<grpc::Channel> SejfdTest::SocketChannel() {
  return UnixChannel(daemon_->unix_socket());
}

std::shared_ptr<grpc::Channel> SejfdTest::ChannelAs(
    const std::string& identity) {
  auto [cert, key] = ClientCertificate(identity);
  return TlsChannel(daemon_->tls_address(),
                    ReadFile(TlsPath("ca.pem")).value_or(""),
                    ReadFile(cert).value_or(""), ReadFile(key).value_or(""));
}

std::pair<std::string, std::string> SejfdTest::ClientCertificate(
    const std::string& identity) {
  const std::string cert = temp_dir() + "/" + identity + ".pem";
  const std::string key = temp_dir() + "/" + identity + ".key";
  std::lock_guard<std::mutex> lock(certificate_mu);
  if (PathExists(cert)) return {cert, key};
  server::CertificateSpec spec;
  spec.common_name = identity;
  spec.usage = server::CertificateUsage::kClient;
  spec.validity = absl::Hours(1);
  auto ca = ReadFile(TlsPath("ca.pem"));
  auto ca_key = ReadSecretFile(TlsPath("ca.key"));
  EXPECT_TRUE(ca.ok()) << ca.status();
  EXPECT_TRUE(ca_key.ok()) << ca_key.status();
  if (!ca.ok() || !ca_key.ok()) return {cert, key};
  auto issued =
      server::IssueCertificate(*ca, *ca_key, spec, SystemClock::Get());
  EXPECT_TRUE(issued.ok()) << issued.status();
  if (!issued.ok()) return {cert, key};
  EXPECT_TRUE(
      WriteFileAtomically(key, SecretView(issued->private_key_pem), 0600).ok());
  EXPECT_TRUE(WriteFileAtomically(cert, issued->certificate_pem, 0600).ok());
  return {cert, key};
}

CommandResult SejfdTest::Pkcs11Tool(const std::vector<std::string>& args) {
  auto pin = ReadSecretFile(data_dir() + "/hsm-pin");
  EXPECT_TRUE(pin.ok()) << pin.status();
  std::vector<std::string> argv = {
      "/usr/bin/pkcs11-tool",
      "--module",
      "/usr/lib/softhsm/libsofthsm2.so",
      "--token-label",
      "sejf",
      "--login",
      "--pin",
      pin.ok() ? std::string(SecretView(*pin)) : ""};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {{"SOFTHSM2_CONF", data_dir() + "/softhsm2.conf"}});
}

std::string SejfdTest::WriteTemp(const std::string& name,
                                 const std::string& content) {
  temp_dir();  // creates it
  return tmp_->Write(name, content);
}

nlohmann::json SejfdTest::JsonOf(const CommandResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

nlohmann::json SejfdTest::SejfJson(std::vector<std::string> args) {
  args.insert(args.begin(), {"--output", "json"});
  return JsonOf(Sejf(std::move(args)));
}

}  // namespace sejf::testing
