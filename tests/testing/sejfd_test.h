// The shared fixture of the end-to-end tests: a dev sejfd (`sejfd --dev`) in
// a fresh TempDir, and the sejf CLI and gRPC channels as its clients.
//
//   class KeyCliE2eTest : public SejfdTest {
//    protected:
//     static void SetUpTestSuite() { StartSejfd(); }  // one for the suite
//   };
//   class AuditCliE2eTest : public SejfdTest {
//    protected:
//     void SetUp() override { StartSejfd(); }  // one for each test
//   };
//   TEST_F(KeyCliE2eTest, ...) { CommandResult r = Sejf({"key", "list"}); }
//
// A daemon started in SetUp is stopped in TearDown; one started in
// SetUpTestSuite lives until TearDownTestSuite (a fixture overriding either
// calls the base's). The state is static, so the helpers work from both; gtest
// runs one test at a time, so there is only ever one daemon of this fixture.
//
// Layout of temp_dir(): data/ (the daemon's --data-dir), sejfd.toml (when a
// config is given), IDENTITY.pem/.key (client certificates of
// SejfAs/ChannelAs), and anything the test puts there.
//
// Thread-safety: the helpers that run the CLI or open channels may be called
// from several threads of one test; starting and stopping may not.
#ifndef SEJF_TESTS_TESTING_SEJFD_TEST_H_
#define SEJF_TESTS_TESTING_SEJFD_TEST_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/testing/subprocess.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/sejfd_process.h"

namespace sejf::testing {

// How to start the daemon. `config` is the text of sejfd.toml (written to
// temp_dir()/sejfd.toml and passed with --config when not empty).
struct SejfdConfig {
  std::string config;
  std::map<std::string, std::string> env;
  std::vector<std::string> extra_args;
};

class SejfdTest : public ::testing::Test {
 protected:
  void TearDown() override;
  static void TearDownTestSuite();

  // Starts the daemon (creating temp_dir() if needed) and waits for its
  // banner; a fatal test failure carrying the daemon's stderr if it does not
  // start. A daemon started before must have stopped (StopSejfd, or killed
  // through daemon().process()); it is replaced.
  static void StartSejfd(const SejfdConfig& config = {});
  // SIGTERM; a fatal test failure unless the daemon exits 0. daemon() stays
  // readable (its Stderr) until the next start.
  static void StopSejfd();
  // StopSejfd, then StartSejfd with the same options and the config file as
  // it is now (see WriteSejfdConfig).
  static void RestartSejfd();
  // Replaces temp_dir()/sejfd.toml, e.g. before RestartSejfd or a SIGHUP.
  static void WriteSejfdConfig(const std::string& text);

  // The temporary directory (created on first use) and its parts.
  static const std::string& temp_dir();
  static std::string data_dir() { return temp_dir() + "/data"; }
  static std::string config_path() { return temp_dir() + "/sejfd.toml"; }
  // A file of the daemon's dev TLS material, e.g. TlsPath("ca.pem").
  static std::string TlsPath(const std::string& name) {
    return data_dir() + "/tls/" + name;
  }
  // The daemon last started; precondition: StartSejfd was called.
  static SejfdProcess& daemon();

  // `sejfd --dev --data-dir DATA --listen 127.0.0.1:0 [--config FILE] ARGS…`
  // run to
  // completion on the fixture's data directory (while the fixture's daemon
  // is stopped, or to see a second one refused): a start that is expected to
  // fail, or a one-shot mode such as --verify-audit-log.
  static CommandResult RunSejfd(std::vector<std::string> args);

  // `sejf ARGS…` with none of the SEJF_* variables of the test's own
  // environment, `env` added; `stdin_data` on its standard input.
  static CommandResult RunSejf(std::vector<std::string> args,
                               std::map<std::string, std::string> env = {},
                               const std::string& stdin_data = "");
  // `sejf --addr unix:SOCKET ARGS…`: the admin (the socket's owner).
  static CommandResult Sejf(std::vector<std::string> args,
                            const std::string& stdin_data = "");
  // `sejf ARGS…` over mutual TLS with the client certificate for `identity`
  // (subject CN=identity) issued by the daemon's dev CA; made on first use.
  static CommandResult SejfAs(const std::string& identity,
                              std::vector<std::string> args,
                              const std::string& stdin_data = "");
  // `sejf ARGS…` over mutual TLS with the certificate and key files given.
  static CommandResult SejfWithCertificate(const std::string& cert_path,
                                           const std::string& key_path,
                                           std::vector<std::string> args,
                                           const std::string& stdin_data = "");

  // gRPC channels: the unix socket (the admin), and mutual TLS as `identity`
  // (the same certificate as SejfAs).
  static std::shared_ptr<grpc::Channel> SocketChannel();
  static std::shared_ptr<grpc::Channel> ChannelAs(const std::string& identity);

  // pkcs11-tool logged in on the daemon's dev token (its SOFTHSM2_CONF and
  // PIN): an independent reader of what sejfd stored. The dev PIN in
  // pkcs11-tool's argv is acceptable for a throwaway token; sejf itself never
  // passes a PIN on a command line.
  static CommandResult Pkcs11Tool(const std::vector<std::string>& args);

  // Writes `content` (bytes as they are) to temp_dir()/NAME; returns its path.
  static std::string WriteTemp(const std::string& name,
                               const std::string& content);

  // The JSON on stdout of a successful command; a test failure if it did not
  // exit 0. Discarded (is_discarded()) when stdout is not JSON.
  static nlohmann::json JsonOf(const CommandResult& r);
  // JsonOf(Sejf({"--output", "json", ARGS…})).
  static nlohmann::json SejfJson(std::vector<std::string> args);

 private:
  // Paths of the certificate and key for `identity`, issued on first use.
  static std::pair<std::string, std::string> ClientCertificate(
      const std::string& identity);
  static void Reset();

  static TempDir* tmp_;
  static SejfdProcess* daemon_;
  static SejfdConfig config_;
  static bool per_test_;
};

}  // namespace sejf::testing

#endif  // SEJF_TESTS_TESTING_SEJFD_TEST_H_
