// sejf-bench: measures the whole stack (a dev sejfd over mutual TLS, its
// SoftHSM2 token and its vault) against baselines taken in the same run on
// the same token and server. See docs/performance.md and bench/results.h for
// the output. Exit status 0 when every scenario produced requests/s > 0
// without errors and results.json was written; 1 otherwise.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/load.h"
#include "bench/results.h"
#include "bench/scale.h"
#include "bench/sessions.h"
#include "bench/setup.h"
#include "client/client.h"
#include "common/files.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status_macros.h"
#include "tests/testing/sejfd_process.h"

namespace sejf::bench {
namespace {

struct Flags {
  bool smoke = false;
  double warmup_s = 2;
  double duration_s = 10;
  int stored_tokens = 100000;
  std::string output = "build/bench/results.json";
  // An already running dev sejfd instead of a fresh one: its data dir (for
  // tls/ and the token), TLS address and pid (for its RSS).
  std::string data_dir;
  std::string address;
  int pid = 0;
  // `make bench-scale` instead of the scenarios (bench/scale.h).
  bool scale = false;
  int restarts = 3;
  // Scenario names to run (all when empty), for profiling one at a time.
  std::vector<std::string> only;
};

class Bench {
 public:
  Bench(const Flags& flags, Report* report) : flags_(flags), report_(report) {}

  absl::Status Run() {
    testing::TempDir dir;
    std::string data_dir = flags_.data_dir;
    std::string address = flags_.address;
    server_pid_ = flags_.pid;
    if (data_dir.empty()) {
      data_dir = dir.path() + "/data";
      // The KSeF emulator first: the daemon's config points an environment
      // at it for the session scenarios.
      std::string config_file;
      if (SessionScenariosSelected()) {
        ASSIGN_OR_RETURN(emulator_, StartEmulator());
        config_file = dir.path() + "/sejfd.toml";
        RETURN_IF_ERROR(
            WriteFileAtomically(config_file, EmulatorConfig(*emulator_), 0600));
      }
      ASSIGN_OR_RETURN(daemon_,
                       testing::SejfdProcess::Start({.data_dir = data_dir,
                                                     .config_file = config_file,
                                                     .extra_args = {},
                                                     .env = {}}));
      address = daemon_->tls_address();
      server_pid_ = daemon_->process().pid();
    }
    ASSIGN_OR_RETURN(client_, ConnectAsAdmin(data_dir, address));
    RETURN_IF_ERROR(SetUpServer(*client_, auth_key_, enc_token_, kContext));

    // In-process scenarios on the daemon's own token (the daemon is idle).
    ASSIGN_OR_RETURN(std::unique_ptr<InProcessSigner> inproc,
                     OpenInProcessSigner(data_dir));
    if (Selected("pkcs11_sign_ec_p256")) {
      LoadResult sign = Measure(2, [&](int) { return inproc->SignOnce(); });
      report_->pkcs11_sign_ec_p256_rps = sign.rps;
      Add("pkcs11_sign_ec_p256", 2, sign, SelfPeakRssMb());
    }
    if (Selected("signer_inprocess_xades")) {
      Add("signer_inprocess_xades", 2,
          Measure(2, [&](int) { return inproc->SignXadesOnce(kContext); }),
          SelfPeakRssMb());
    }

    // The empty-RPC baseline is the best rate over the same concurrencies
    // as auth_xades_ec_p256 (the highest, hence strictest, limit).
    for (int concurrency : {1, 8, 32}) {
      if (!Selected("grpc_empty_call")) break;
      LoadResult empty =
          Measure(concurrency, [&](int) { return client_->WhoAmI().status(); });
      report_->grpc_empty_call_rps =
          std::max(report_->grpc_empty_call_rps, empty.rps);
      Add("grpc_empty_call", concurrency, empty, ServerPeakRssMb());
    }

    for (int concurrency : {1, 8, 32}) {
      if (!Selected("auth_xades_ec_p256")) break;
      Add("auth_xades_ec_p256", concurrency,
          Measure(concurrency, [&](int) { return AuthXades(); }),
          ServerPeakRssMb());
    }
    if (Selected("auth_token")) {
      Add("auth_token", 32, Measure(32, [&](int) { return AuthToken(); }),
          ServerPeakRssMb());
    }
    if (emulator_ != nullptr) {
      RETURN_IF_ERROR(SessionScenarios());
    } else if (SessionScenariosSelected()) {
      report_->notes.push_back(
          "session scenarios skipped: they need the daemon sejf-bench starts "
          "(with the KSeF emulator), not --sejfd-data-dir");
    }
    if (!Selected("token_import") && !Selected("token_lookup")) {
      return Finish();
    }

    // The vault under size: import stored_tokens tokens, then look them up.
    LoadOptions import_options{.concurrency = 32,
                               .warmup = absl::ZeroDuration(),
                               .duration = absl::ZeroDuration(),
                               .max_requests = flags_.stored_tokens};
    std::atomic<int> next{0};
    Add("token_import", 32,
        RunLoad(import_options,
                [&](int) { return ImportToken(next.fetch_add(1)); }),
        ServerPeakRssMb());
    const int stored = next.load();
    Add("token_lookup", 32,
        Measure(32,
                [&](int caller) {
                  thread_local uint64_t x =
                      0x9E3779B97F4A7C15ull * (caller + 1);
                  x ^= x << 13;
                  x ^= x >> 7;
                  x ^= x << 17;
                  return LookupToken(static_cast<int>(x % stored));
                }),
        ServerPeakRssMb());
    report_->notes.push_back(absl::StrCat(
        "token_import/token_lookup with ", stored, " stored tokens",
        stored < 100000 ? " (scaled down from the target's 100000)" : ""));
    return Finish();
  }

 private:
  // Names unique to this run, so a given daemon can be benched again.
  const std::string run_ = RandomHex(3);
  const std::string auth_key_ = absl::StrCat("bench-auth-", run_);
  const std::string enc_token_ = absl::StrCat("bench-enc-", run_);
  static constexpr char kContext[] = "nip:5265877635";

  bool SessionScenariosSelected() const {
    return Selected("session_token_cached") || Selected("login_storm");
  }

  // session_token_cached and login_storm (bench/sessions.h).
  absl::Status SessionScenarios() {
    if (Selected("session_token_cached")) {
      const std::string token = absl::StrCat("bench-sess-", run_);
      RETURN_IF_ERROR(ImportKnownToken(*client_, *emulator_, token, kContext));
      ASSIGN_OR_RETURN(std::string session,
                       OpenSession(*client_, token, token, kContext));
      Add("session_token_cached", 32,
          Measure(32,
                  [&](int) {
                    return client_->sessions().GetAccessToken(session).status();
                  }),
          ServerPeakRssMb());
    }
    if (Selected("login_storm")) {
      const int sessions = flags_.smoke ? 20 : 200;
      const int contexts = flags_.smoke ? 5 : 50;
      // The sync gRPC server serves server.max_threads (64) calls at once.
      constexpr int kCallers = 50;
      ASSIGN_OR_RETURN(
          StormResult storm,
          LoginStorm(*client_, *emulator_, run_, sessions, contexts, kCallers));
      LoadResult load;
      load.ok = storm.opened;
      load.errors = storm.failed;
      load.first_error = storm.first_error;
      load.seconds = absl::ToDoubleSeconds(storm.elapsed);
      load.rps = storm.opened / load.seconds;
      Add("login_storm", kCallers, load, ServerPeakRssMb());
      report_->notes.push_back(absl::StrFormat(
          "login_storm: %d of %d sessions over %d contexts opened in %.1f s "
          "by %d callers against KSeF's published rate limits; %d failed, "
          "%d with a 429 (RESOURCE_EXHAUSTED) reaching the caller; the "
          "emulator answered %d requests with 429",
          storm.opened, sessions, contexts,
          absl::ToDoubleSeconds(storm.elapsed), kCallers, storm.failed,
          storm.rate_limited, storm.emulator_429s));
    }
    return absl::OkStatus();
  }

  bool Selected(const std::string& scenario) const {
    return flags_.only.empty() ||
           std::find(flags_.only.begin(), flags_.only.end(), scenario) !=
               flags_.only.end();
  }

  absl::Status Finish() {
    report_->notes.push_back(
        "server_rss_mb: the daemon's VmHWM (peak since start) after the "
        "scenario; for in-process scenarios, sejf-bench's own VmHWM");
    if (!flags_.only.empty()) {
      report_->notes.push_back("only some scenarios ran (--only)");
    }
    if (daemon_ != nullptr) daemon_->Stop();
    emulator_.reset();
    return absl::OkStatus();
  }

  LoadResult Measure(int concurrency,
                     const std::function<absl::Status(int)>& call) {
    return RunLoad({.concurrency = concurrency,
                    .warmup = absl::Seconds(flags_.warmup_s),
                    .duration = absl::Seconds(flags_.duration_s),
                    .max_requests = 0},
                   call);
  }

  void Add(const std::string& name, int concurrency, const LoadResult& r,
           double rss_mb) {
    AddScenario(report_, name, concurrency, r, rss_mb);
  }

  double ServerPeakRssMb() { return PeakRssMb(server_pid_); }

  absl::Status AuthXades() {
    client::AuthTokenRequest request;
    request.key = absl::StrCat("keys/", auth_key_);
    request.challenge = NewChallenge();
    request.context = kContext;
    ASSIGN_OR_RETURN(client::SignedAuthTokenRequest signed_request,
                     client_->ksef().SignAuthTokenRequest(request));
    if (signed_request.signed_xml.empty()) {
      return absl::InternalError("empty xml");
    }
    return absl::OkStatus();
  }

  absl::Status AuthToken() {
    client::TokenEncryption request;
    request.token = absl::StrCat("tokens/", enc_token_);
    request.challenge = NewChallenge();
    request.timestamp_ms = absl::ToUnixMillis(absl::Now());
    request.environment = "test";
    ASSIGN_OR_RETURN(client::EncryptedToken encrypted,
                     client_->ksef().EncryptToken(request));
    if (encrypted.encrypted_token.empty()) {
      return absl::InternalError("empty");
    }
    return absl::OkStatus();
  }

  absl::Status ImportToken(int i) {
    client::TokenImport token;
    token.token_id = absl::StrFormat("bench-%s-%07d", run_, i);
    token.context = kContext;
    token.permissions = {client::TokenPermission::kInvoiceRead};
    token.secret =
        SecretFromView(absl::StrCat("bench-secret-", i, "-", NewChallenge()));
    return client_->tokens().Import(token).status();
  }

  absl::Status LookupToken(int i) {
    return client_->tokens()
        .Get(absl::StrFormat("tokens/bench-%s-%07d", run_, i))
        .status();
  }

  const Flags& flags_;
  Report* report_;
  std::unique_ptr<testing::KsefEmulator> emulator_;  // with daemon_
  std::unique_ptr<testing::SejfdProcess> daemon_;    // when we started it
  pid_t server_pid_ = 0;
  std::unique_ptr<client::Client> client_;
};

bool Valid(const Report& report, bool all_scenarios, std::string* why) {
  if (report.scale.has_value()) {
    if (!(report.scale->startup_ms_empty > 0 &&
          report.scale->startup_ms_full > 0)) {
      *why += "no start-up time; ";
    }
    all_scenarios = false;
  }
  for (const ScenarioResult& s : report.scenarios) {
    if (!(s.rps > 0)) *why += absl::StrCat(s.name, " produced no requests/s; ");
    if (s.errors > 0) *why += absl::StrCat(s.name, " had errors; ");
  }
  if (all_scenarios) {
    if (report.scenarios.size() != 13) *why += "not every scenario ran; ";
    if (!(AuthXadesVsLimit(report) > 0)) *why += "no ratio; ";
  }
  return why->empty();
}

}  // namespace
}  // namespace sejf::bench

int main(int argc, char** argv) {
  sejf::bench::Flags flags;
  CLI::App app{"sejf-bench: load on a dev sejfd against same-run baselines"};
  app.add_flag("--smoke", flags.smoke,
               "a few seconds: tiny durations, 200 stored tokens");
  app.add_option("--warmup", flags.warmup_s, "warm-up seconds per scenario");
  app.add_option("--duration", flags.duration_s,
                 "measured seconds per scenario");
  app.add_option(
      "--stored-tokens", flags.stored_tokens,
      "tokens imported for token_import/token_lookup (target 100000)");
  app.add_option("--output", flags.output, "where results.json goes");
  auto* data_dir = app.add_option(
      "--sejfd-data-dir", flags.data_dir,
      "bench a running dev sejfd: its --data-dir (tls/, softhsm2.conf, "
      "hsm-pin); needs --sejfd-address and --sejfd-pid");
  app.add_option("--sejfd-address", flags.address, "its TLS address")
      ->needs(data_dir);
  app.add_option("--sejfd-pid", flags.pid, "its pid (for VmHWM)")
      ->needs(data_dir);
  app.add_flag("--scale", flags.scale,
               "the vault at size instead (make bench-scale): start-up with "
               "an empty and a full vault, lookups among --stored-tokens");
  app.add_option("--restarts", flags.restarts,
                 "--scale: sejfd starts per start-up measurement (median)")
      ->check(CLI::Range(1, 20));
  app.add_option("--only", flags.only,
                 "run only these scenarios (e.g. grpc_empty_call), to profile")
      ->check(CLI::IsMember({"pkcs11_sign_ec_p256", "signer_inprocess_xades",
                             "grpc_empty_call", "auth_xades_ec_p256",
                             "auth_token", "session_token_cached",
                             "login_storm", "token_import", "token_lookup"}));
  CLI11_PARSE(app, argc, argv);
  if (flags.smoke) {
    flags.warmup_s = 0.1;
    flags.duration_s = 0.3;
    flags.stored_tokens = std::min(flags.stored_tokens, 200);
    flags.restarts = 1;
  }
  if (!flags.data_dir.empty() && (flags.address.empty() || flags.pid <= 0)) {
    std::cerr << "--sejfd-data-dir needs --sejfd-address and --sejfd-pid\n";
    return 2;
  }
  if (flags.stored_tokens < 1) {
    std::cerr << "--stored-tokens must be at least 1\n";
    return 2;
  }

  sejf::bench::Report report;
  if (flags.smoke)
    report.notes.push_back("smoke mode: numbers are not meaningful");
  absl::Status status;
  if (flags.scale) {
    status =
        sejf::bench::RunScale({.stored_tokens = flags.stored_tokens,
                               .restarts = flags.restarts,
                               .warmup = absl::Seconds(flags.warmup_s),
                               .duration = absl::Seconds(flags.duration_s)},
                              &report);
  } else {
    sejf::bench::Bench bench(flags, &report);
    status = bench.Run();
  }
  if (!status.ok()) {
    std::cerr << "sejf-bench: " << status << "\n";
    return 1;
  }
  std::cout << sejf::bench::FormatTable(report);
  status = sejf::bench::WriteResultsJson(report, flags.output);
  if (!status.ok()) {
    std::cerr << "sejf-bench: " << status << "\n";
    return 1;
  }
  std::cout << "wrote " << flags.output << "\n";
  std::string why;
  if (!sejf::bench::Valid(report, flags.only.empty(), &why)) {
    std::cerr << "sejf-bench: invalid run: " << why << "\n";
    return 1;
  }
  return 0;
}
