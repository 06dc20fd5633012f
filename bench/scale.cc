#include "bench/scale.h"

#include <stdlib.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/load.h"
#include "bench/setup.h"
#include "common/clock.h"
#include "common/secret.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/pkcs11_key_store.h"
#include "hsm/token.h"
#include "tests/testing/sejfd_process.h"
#include "vault/crypto/keyring.h"
#include "vault/storage/sqlite/sqlite_storage.h"
#include "vault/tokens/token_vault.h"

namespace sejf::bench {
namespace {

constexpr char kContext[] = "nip:5265877635";
constexpr std::size_t kSeedBatch = 5000;

std::string TokenName(int i) { return absl::StrFormat("scale-%07d", i); }

// The vault of the dev data dir `data_dir`, opened in this process.
struct LocalVault {
  std::unique_ptr<hsm::KeyStore> keys;
  std::unique_ptr<vault::Storage> storage;
  std::unique_ptr<vault::Keyring> keyring;
  std::unique_ptr<vault::TokenVault> tokens;
};

absl::StatusOr<LocalVault> OpenLocalVault(const std::string& data_dir) {
  const std::string conf = data_dir + "/softhsm2.conf";
  setenv("SOFTHSM2_CONF", conf.c_str(), 1);
  const Clock* clock = &SystemClock::Get();
  LocalVault v;
  ASSIGN_OR_RETURN(hsm::OpenedToken token,
                   hsm::OpenToken("/usr/lib/softhsm/libsofthsm2.so", "sejf",
                                  data_dir + "/hsm-pin"));
  ASSIGN_OR_RETURN(v.keys,
                   hsm::pkcs11::Pkcs11KeyStore::Create(std::move(token)));
  ASSIGN_OR_RETURN(auto sqlite,
                   vault::SqliteStorage::Open(data_dir + "/sejf.db", *clock));
  v.storage = std::move(sqlite);
  ASSIGN_OR_RETURN(v.keyring,
                   vault::Keyring::Open(v.storage.get(), v.keys.get(), clock));
  ASSIGN_OR_RETURN(
      v.tokens, vault::TokenVault::Open(v.storage.get(), v.keyring.get(), clock,
                                        {.background_reseal = false}));
  return v;
}

// Stores tokens scale-0000000 … in batches of kSeedBatch.
absl::Status Seed(vault::TokenVault& tokens, int count) {
  std::vector<vault::TokenImport> batch;
  for (int i = 0; i < count;) {
    batch.clear();
    for (; i < count && batch.size() < kSeedBatch; ++i) {
      batch.push_back({.name = TokenName(i),
                       .context = kContext,
                       .permissions = {vault::TokenPermission::kInvoiceRead},
                       .description = "bench-scale",
                       .secret = SecretFromView(absl::StrCat(
                           "scale-secret-", i, "-", NewChallenge()))});
    }
    RETURN_IF_ERROR(tokens.ImportBatch(batch));
    if (i % 100000 == 0 || i == count) {
      std::fprintf(stderr, "stored %d of %d tokens\n", i, count);
    }
  }
  return absl::OkStatus();
}

// Median start-up time in ms of `restarts` starts of sejfd on `data_dir`;
// the last one is left running in *running.
absl::StatusOr<double> MedianStartupMs(
    const std::string& data_dir, int restarts,
    std::unique_ptr<testing::SejfdProcess>* running) {
  std::vector<double> ms;
  for (int i = 0; i < restarts; ++i) {
    running->reset();
    const absl::Time before = absl::Now();
    ASSIGN_OR_RETURN(*running,
                     testing::SejfdProcess::Start({.data_dir = data_dir,
                                                   .config_file = {},
                                                   .extra_args = {},
                                                   .env = {}}));
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - before));
    if (i + 1 < restarts) (*running)->Stop();
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// A random stored token's index, different per caller.
int RandomIndex(int caller, int count) {
  thread_local uint64_t x = 0x9E3779B97F4A7C15ull * (caller + 1);
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return static_cast<int>(x % static_cast<uint64_t>(count));
}

}  // namespace

absl::Status RunScale(const ScaleOptions& options, Report* report) {
  testing::TempDir dir;
  const std::string data_dir = dir.path() + "/data";
  std::unique_ptr<testing::SejfdProcess> daemon;
  // The first start bootstraps the data dir; it is not a start-up sample.
  ASSIGN_OR_RETURN(double bootstrap_ms, MedianStartupMs(data_dir, 1, &daemon));
  (void)bootstrap_ms;
  daemon->Stop();

  ScaleResult scale{.stored_tokens = options.stored_tokens};
  ASSIGN_OR_RETURN(scale.startup_ms_empty,
                   MedianStartupMs(data_dir, options.restarts, &daemon));
  daemon->Stop();
  daemon.reset();

  {
    ASSIGN_OR_RETURN(LocalVault local, OpenLocalVault(data_dir));
    const absl::Time before = absl::Now();
    RETURN_IF_ERROR(Seed(*local.tokens, options.stored_tokens));
    scale.seed_seconds = absl::ToDoubleSeconds(absl::Now() - before);
  }

  ASSIGN_OR_RETURN(scale.startup_ms_full,
                   MedianStartupMs(data_dir, options.restarts, &daemon));
  report->scale = scale;
  const pid_t pid = daemon->process().pid();

  ASSIGN_OR_RETURN(std::unique_ptr<client::Client> client,
                   ConnectAsAdmin(data_dir, daemon->tls_address()));
  const int count = options.stored_tokens;
  auto lookup = [&](int caller) -> absl::Status {
    return client->tokens()
        .Get(absl::StrCat("tokens/", TokenName(RandomIndex(caller, count))))
        .status();
  };
  const LoadOptions load{.concurrency = 1,
                         .warmup = options.warmup,
                         .duration = options.duration,
                         .max_requests = 0};
  // Same-run baseline: the cheapest authenticated RPC (its durable audit
  // append included), which bounds every lookup's latency from below.
  AddScenario(report, "grpc_empty_call", 1,
              RunLoad(load, [&](int) { return client->WhoAmI().status(); }),
              PeakRssMb(pid));
  for (int concurrency : {1, 32}) {
    LoadOptions o = load;
    o.concurrency = concurrency;
    AddScenario(report, "token_lookup", concurrency, RunLoad(o, lookup),
                PeakRssMb(pid));
  }

  // The storage lookup alone, on this process's own connection.
  ASSIGN_OR_RETURN(LocalVault local, OpenLocalVault(data_dir));
  AddScenario(report, "vault_get_inprocess", 1,
              RunLoad(load,
                      [&](int caller) {
                        return local.tokens
                            ->Get(TokenName(RandomIndex(caller, count)))
                            .status();
                      }),
              SelfPeakRssMb());
  report->notes.push_back(absl::StrCat(
      "scale: ", count,
      " tokens stored in-process through TokenVault::ImportBatch (no audit "
      "events); start-up is the median of ",
      options.restarts, " starts, spawn to listening"));
  daemon->Stop();
  return absl::OkStatus();
}

}  // namespace sejf::bench
