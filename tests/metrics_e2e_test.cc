// Metrics and health of a real sejfd (issue 16; docs/metrics.md): sejfd
// with [metrics] listen on a free port serves calls — allowed, denied and
// failing — and then
//   - /metrics passes `promtool check metrics` (Debian's prometheus package,
//     independent of our exposition code) and shows what the calls did,
//     with no secret anywhere in it;
//   - a real Prometheus (/usr/bin/prometheus, a temporary config and data
//     directory, 127.0.0.1, scrape_interval 1s) scrapes it and answers
//     queries through its HTTP API with the values the test caused;
//   - a KSeF session opened against the KSeF emulator shows its calls by
//     environment, endpoint and HTTP status, and never its tokens;
//   - /readyz answers 503 naming the HSM while the PKCS#11 module fails
//     (hsm/testing/fault_pkcs11/), and naming the audit log's storage while
//     the database is read-only (a loop-mounted ext4, root only), and 200
//     again once each fault clears, without a restart.
// Waits poll for a state with a generous guard; nothing asserts a duration.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/ksef_emulator.h"
#include "tests/testing/loop_filesystem.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";
constexpr char kContext[] = "nip:5265877635";
constexpr char kCanary[] = "CANARY-metrics-7d41c2-token-secret";
// Upper bound on polling for a state (never a measured duration).
constexpr int kPolls = 240;
constexpr absl::Duration kPollEvery = absl::Milliseconds(500);

// "127.0.0.1:PORT" of the metrics listener, from the banner.
std::string MetricsAddress(const SejfdProcess& daemon) {
  for (absl::string_view line : absl::StrSplit(daemon.banner(), '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "listening metrics http://") &&
        absl::ConsumeSuffix(&line, "/metrics")) {
      return std::string(line);
    }
  }
  return "";
}

// curl (independent of sejf): the HTTP status and the body.
struct HttpAnswer {
  int status = 0;
  std::string body;
};
HttpAnswer Get(const std::string& url) {
  CommandResult r = RunCommand({"/usr/bin/curl", "-sS", "--max-time", "20",
                                "-w", "\n%{http_code}", url});
  HttpAnswer answer;
  const std::size_t last = r.out.rfind('\n');
  if (r.exit_code != 0 || last == std::string::npos) return answer;
  answer.status = std::atoi(r.out.c_str() + last + 1);
  answer.body = r.out.substr(0, last);
  return answer;
}

// Polls `url` until its status is `status`; the last answer.
HttpAnswer AwaitStatus(const std::string& url, int status) {
  HttpAnswer answer;
  for (int i = 0; i < kPolls; ++i) {
    answer = Get(url);
    if (answer.status == status) break;
    absl::SleepFor(kPollEvery);
  }
  return answer;
}

// A free TCP port on 127.0.0.1 (bound and released; Prometheus takes it).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

class MetricsE2eTest : public SejfdTest {
 public:
  static void SetUpTestSuite() {
    control_ = temp_dir() + "/fault-control";
    SetFaults("");
    SejfdConfig config;
    config.config = "[metrics]\nlisten = \"127.0.0.1:0\"\n";
    config.env = {{"SEJF_HSM_MODULE", SEJF_FAULT_PKCS11_MODULE_PATH},
                  {"SEJF_FAULT_PKCS11_CONTROL", control_}};
    StartSejfd(config);
    address_ = MetricsAddress(daemon());
    ASSERT_FALSE(address_.empty()) << daemon().banner();

    // What the metrics must show: a key with a certificate, a token with an
    // expiry, a failing call and a denied one.
    CommandResult r = Sejf(
        {"key", "generate", "--name", "m-key", "--usage", "authentication"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Sejf(
        {"key", "self-sign", "m-key", "--subject", kSubject, "--days", "30"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Sejf({"token", "import", "--name", "m-token", "--context", kContext,
              "--expires", "2099-01-01T00:00:00Z"},
             std::string(kCanary) + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Sejf({"key", "show", "no-such-key"});
    ASSERT_NE(r.exit_code, 0);
    r = SejfAs("stranger", {"key", "list"});
    ASSERT_NE(r.exit_code, 0);
    ASSERT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));
  }

  static void SetFaults(const std::string& rules) {
    const std::string tmp = control_ + ".new";
    std::ofstream(tmp) << rules;
    ASSERT_EQ(std::rename(tmp.c_str(), control_.c_str()), 0);
  }

  static std::string Url(const std::string& path) {
    return "http://" + address_ + path;
  }

  static std::string control_;
  static std::string address_;
};

std::string MetricsE2eTest::control_;
std::string MetricsE2eTest::address_;

TEST_F(MetricsE2eTest, MetricsPassPromtoolAndShowWhatClientsDid) {
  HttpAnswer metrics = Get(Url("/metrics"));
  ASSERT_EQ(metrics.status, 200);
  const std::string file = WriteTemp("metrics.txt", metrics.body);
  CommandResult promtool =
      RunCommand({"/bin/sh", "-c", "promtool check metrics < " + file});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err;

  const std::string& text = metrics.body;
  EXPECT_THAT(text, HasSubstr("sejf_rpc_requests_total{method=\"/sejf.v1."
                              "KeyCustody/GenerateKey\",code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_rpc_requests_total{method=\"/sejf.v1."
                              "KeyCustody/GetKey\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_rpc_requests_total{method=\"/sejf.v1."
                              "KeyCustody/ListKeys\",code=\"PERMISSION_"
                              "DENIED\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_policy_denials_total{operation="));
  EXPECT_THAT(text, HasSubstr("sejf_keys{state=\"active\",usage="
                              "\"authentication\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_tokens{state=\"active\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_key_certificate_expiry_timestamp_seconds"
                              "{key=\"m-key\"} "));
  EXPECT_THAT(text, HasSubstr("sejf_token_expiry_timestamp_seconds{token="
                              "\"m-token\"} 4070908800\n"));  // 2099-01-01
  EXPECT_THAT(text, HasSubstr("sejf_hsm_operations_total{operation="
                              "\"GenerateKeyPair\",code=\"OK\"}"));
  EXPECT_THAT(text, HasSubstr("sejf_storage_operations_total{operation="
                              "\"commit\",code=\"OK\"}"));
  EXPECT_THAT(text, HasSubstr("sejf_audit_appends_total{code=\"OK\"}"));
  EXPECT_THAT(text, HasSubstr("\nsejf_audit_queue_depth "));
  EXPECT_THAT(text, HasSubstr("\nsejf_hsm_sessions_open "));
  // Never a secret, never a KSeF context.
  EXPECT_THAT(text, Not(HasSubstr(kCanary)));
  EXPECT_THAT(text, Not(HasSubstr("5265877635")));

  EXPECT_EQ(Get(Url("/healthz")).status, 200);
  HttpAnswer ready = Get(Url("/readyz"));
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");
  EXPECT_EQ(Get(Url("/nothing")).status, 404);
}

TEST_F(MetricsE2eTest, ARealPrometheusScrapesSejfdAndAnswersQueries) {
  const std::string dir = temp_dir() + "/prometheus";
  std::filesystem::create_directories(dir + "/data");
  const std::string config =
      WriteTemp("prometheus.yml", absl::StrCat("global:\n"
                                               "  scrape_interval: 1s\n"
                                               "  evaluation_interval: 1s\n"
                                               "scrape_configs:\n"
                                               "  - job_name: sejf\n"
                                               "    static_configs:\n"
                                               "      - targets: ['",
                                               address_, "']\n"));
  CommandResult check =
      RunCommand({"/usr/bin/promtool", "check", "config", config});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  const int port = FreePort();
  ASSERT_GT(port, 0);
  const std::string web = absl::StrCat("127.0.0.1:", port);
  Subprocess prometheus(
      {"/usr/bin/prometheus", "--config.file=" + config,
       "--storage.tsdb.path=" + dir + "/data", "--web.listen-address=" + web},
      {}, dir + "/stderr.log");

  // More calls while it scrapes: three more failing lookups.
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(Sejf({"key", "show", "still-missing"}).exit_code, 0);
  }
  auto query = [&](const std::string& promql) {
    CommandResult r = RunCommand({"/usr/bin/curl", "-sS", "--max-time", "20",
                                  "-G", "http://" + web + "/api/v1/query",
                                  "--data-urlencode", "query=" + promql});
    nlohmann::json answer = nlohmann::json::parse(r.out, nullptr, false);
    if (answer.is_discarded() || answer["status"] != "success") {
      return nlohmann::json::array();
    }
    return answer["data"]["result"];
  };
  // The value of the first series `promql` returns, once Prometheus has it.
  auto await_value = [&](const std::string& promql, double at_least) {
    double value = -1;
    for (int i = 0; i < kPolls && value < at_least; ++i) {
      nlohmann::json result = query(promql);
      if (!result.empty()) {
        value = std::stod(result[0]["value"][1].get<std::string>());
      }
      if (value < at_least) absl::SleepFor(kPollEvery);
    }
    return value;
  };

  EXPECT_EQ(await_value("up{job=\"sejf\"}", 1), 1)
      << ReadFile(dir + "/stderr.log").value_or("");
  EXPECT_EQ(await_value("sum(sejf_rpc_requests_total{method=\"/sejf.v1."
                        "KeyCustody/GetKey\",code=\"NOT_FOUND\"})",
                        4),
            4);
  EXPECT_EQ(await_value("sejf_keys{state=\"active\",usage="
                        "\"authentication\"}",
                        1),
            1);
  EXPECT_EQ(await_value("sejf_token_expiry_timestamp_seconds{token="
                        "\"m-token\"}",
                        1),
            4070908800.0);
  EXPECT_GE(await_value("sum(sejf_policy_denials_total)", 1), 1);
  // The latency histogram as Prometheus reads it: its +Inf bucket counts
  // every call.
  EXPECT_EQ(await_value("sejf_rpc_duration_seconds_bucket{method=\"/sejf.v1."
                        "KeyCustody/GetKey\",le=\"+Inf\"}",
                        4),
            4);
  prometheus.Signal(SIGTERM);
  prometheus.Wait(absl::Seconds(60));
}

TEST_F(MetricsE2eTest, ReadyzFailsWhileTheHsmFailsAndRecoversAfter) {
  ASSERT_EQ(AwaitStatus(Url("/readyz"), 200).status, 200);
  SetFaults("fail all CKR_DEVICE_ERROR\n");
  HttpAnswer failing = AwaitStatus(Url("/readyz"), 503);
  EXPECT_EQ(failing.status, 503);
  EXPECT_THAT(failing.body, HasSubstr("not ready: hsm: UNAVAILABLE"));
  EXPECT_EQ(Get(Url("/healthz")).status, 200);  // alive all along
  SetFaults("");
  HttpAnswer healed = AwaitStatus(Url("/readyz"), 200);
  EXPECT_EQ(healed.status, 200) << healed.body;
  EXPECT_THAT(Get(Url("/metrics")).body,
              HasSubstr("sejf_hsm_operations_total{operation="
                        "\"FindKeyByLabel\",code=\"UNAVAILABLE\"}"));
}

// The database on its own small file system, made read-only under the
// running daemon (tests/testing/loop_filesystem.h; needs root, as the e2e
// tests run).
class MetricsStorageE2eTest : public SejfdTest {
 protected:
  void SetUp() override {
    auto fs = LoopFilesystem::Mount(temp_dir() + "/db.img", temp_dir() + "/db",
                                    /*size_mb=*/16);
    ASSERT_TRUE(fs.ok()) << fs.status();
    fs_ = *std::move(fs);
    SejfdConfig config;
    config.config = absl::StrCat("[storage]\nsqlite_path = \"", fs_->path(),
                                 "/sejf.db\"\n[metrics]\nlisten = "
                                 "\"127.0.0.1:0\"\n");
    StartSejfd(config);
  }
  void TearDown() override {
    SejfdTest::TearDown();  // the daemon first: it has the files open
    fs_.reset();
  }
  std::unique_ptr<LoopFilesystem> fs_;
};

TEST_F(MetricsStorageE2eTest, ReadyzFailsWhileStorageIsReadOnlyAndRecovers) {
  const std::string readyz = "http://" + MetricsAddress(daemon()) + "/readyz";
  ASSERT_EQ(AwaitStatus(readyz, 200).status, 200);
  ASSERT_TRUE(fs_->Freeze({"sejf.db", "sejf.db-wal"}).ok());
  HttpAnswer failing = AwaitStatus(readyz, 503);
  EXPECT_EQ(failing.status, 503);
  EXPECT_THAT(failing.body, HasSubstr("not ready: audit: "));
  ASSERT_TRUE(fs_->Thaw().ok());
  HttpAnswer healed = AwaitStatus(readyz, 200);
  EXPECT_EQ(healed.status, 200) << healed.body;
}

TEST_F(MetricsStorageE2eTest, AMetricsAddressInUseStopsTheStartWithItsName) {
  StopSejfd();
  // A listening socket of this test holds the port.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  const std::string taken = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  WriteSejfdConfig(absl::StrCat("[storage]\nsqlite_path = \"", fs_->path(),
                                "/sejf.db\"\n[metrics]\nlisten = \"", taken,
                                "\"\n"));
  CommandResult r = RunSejfd({});
  close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("start_failed step=listen"));
  EXPECT_THAT(r.err, HasSubstr("the metrics listener cannot listen on " +
                               taken + " (address in use"));
}

// KSeF calls through the emulator (tests/ksef_emulator/).
class MetricsKsefE2eTest : public SejfdTest {
 protected:
  void SetUp() override {
    auto emulator = KsefEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    SejfdConfig config;
    config.config = absl::StrCat("[metrics]\nlisten = \"127.0.0.1:0\"\n\n",
                                 emulator_->EnvironmentConfig("emu"));
    StartSejfd(config);
  }
  void TearDown() override {
    SejfdTest::TearDown();
    emulator_.reset();
  }
  std::unique_ptr<KsefEmulator> emulator_;
};

TEST_F(MetricsKsefE2eTest, KsefCallsAreCountedByEndpointAndStatus) {
  CommandResult r =
      Sejf({"key", "generate", "--name", "k-key", "--usage", "authentication"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Sejf(
      {"key", "self-sign", "k-key", "--subject", kSubject, "--days", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Sejf({"session", "open", "--name", "s1", "--key", "k-key", "--context",
            kContext, "--environment", "emu"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = Sejf({"session", "token", "s1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string access_token(absl::StripSuffix(r.out, "\n"));
  ASSERT_FALSE(access_token.empty());

  HttpAnswer metrics = Get("http://" + MetricsAddress(daemon()) + "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body,
              HasSubstr("sejf_ksef_calls_total{environment=\"emu\",endpoint="
                        "\"POST /auth/challenge\",status=\"200\"} 1\n"));
  EXPECT_THAT(metrics.body,
              HasSubstr("sejf_ksef_call_duration_seconds_count{environment="
                        "\"emu\",endpoint=\"POST /auth/challenge\"} 1\n"));
  EXPECT_THAT(metrics.body, Not(HasSubstr(access_token)));
  const std::string file = WriteTemp("ksef-metrics.txt", metrics.body);
  CommandResult promtool =
      RunCommand({"/bin/sh", "-c", "promtool check metrics < " + file});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err;
}

}  // namespace
}  // namespace sejf::testing
