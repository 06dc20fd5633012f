#include "bench/sessions.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/secret.h"
#include "common/status_macros.h"

namespace sejf::bench {
namespace {

// A KSeF-shaped token for `nip`, unique to `token_id`.
std::string TokenSecret(const std::string& token_id, const std::string& nip) {
  return absl::StrCat("20261204-EC-0123456789-ABCDEF0123-45|nip-", nip, "|",
                      token_id);
}

}  // namespace

absl::StatusOr<std::unique_ptr<testing::KsefEmulator>> StartEmulator() {
  ASSIGN_OR_RETURN(std::unique_ptr<testing::KsefEmulator> emulator,
                   testing::KsefEmulator::Start());
  RETURN_IF_ERROR(emulator->Configure({.pending_polls = 0}));
  return emulator;
}

std::string EmulatorConfig(const testing::KsefEmulator& emulator) {
  return absl::StrCat(
      "[ksef.environments.", kEmulatorEnvironment, "]\napi_url = \"",
      emulator.base_url(), "\"\nca_file = \"", emulator.tls_ca_file(),
      "\"\nmf_trust_anchors = \"", emulator.mf_ca_file(), "\"\n");
}

std::string NthNip(int n) {
  static constexpr int kWeights[] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
  for (int body = 526587700 + n * 7;; ++body) {
    const std::string digits = absl::StrFormat("%09d", body);
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (digits[i] - '0') * kWeights[i];
    if (sum % 11 == 10) continue;  // no valid check digit
    return absl::StrCat(digits, sum % 11);
  }
}

absl::Status ImportKnownToken(client::Client& client,
                              const testing::KsefEmulator& emulator,
                              const std::string& token_id,
                              const std::string& context) {
  const std::string nip = context.substr(context.find(':') + 1);
  const std::string secret = TokenSecret(token_id, nip);
  RETURN_IF_ERROR(emulator.RegisterKsefToken(secret, "Nip", nip));
  client::TokenImport token;
  token.token_id = token_id;
  token.context = context;
  token.permissions = {client::TokenPermission::kInvoiceRead};
  token.secret = SecretFromView(secret);
  return client.tokens().Import(token).status();
}

absl::StatusOr<std::string> OpenSession(client::Client& client,
                                        const std::string& session_id,
                                        const std::string& token_id,
                                        const std::string& context) {
  client::SessionOpening opening;
  opening.session_id = session_id;
  opening.credential = absl::StrCat("tokens/", token_id);
  opening.context = context;
  opening.environment = kEmulatorEnvironment;
  ASSIGN_OR_RETURN(client::KsefSession session,
                   client.sessions().Open(opening));
  return session.name;
}

absl::StatusOr<StormResult> LoginStorm(client::Client& client,
                                       const testing::KsefEmulator& emulator,
                                       const std::string& run, int sessions,
                                       int contexts, int callers) {
  // One token per context, then the limits KSeF publishes.
  for (int c = 0; c < contexts; ++c) {
    RETURN_IF_ERROR(ImportKnownToken(client, emulator,
                                     absl::StrCat("storm-", run, "-", c),
                                     absl::StrCat("nip:", NthNip(c))));
  }
  RETURN_IF_ERROR(emulator.UsePublishedRateLimits());

  StormResult result;
  absl::Mutex mu;
  std::atomic<int> next{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < callers; ++t) {
    threads.emplace_back([&] {
      for (int i = next.fetch_add(1); i < sessions; i = next.fetch_add(1)) {
        const int c = i % contexts;
        absl::StatusOr<std::string> opened =
            OpenSession(client, absl::StrCat("storm-", run, "-", i),
                        absl::StrCat("storm-", run, "-", c),
                        absl::StrCat("nip:", NthNip(c)));
        absl::MutexLock lock(&mu);
        if (opened.ok()) {
          ++result.opened;
          continue;
        }
        ++result.failed;
        if (opened.status().code() == absl::StatusCode::kResourceExhausted) {
          ++result.rate_limited;
        }
        if (result.first_error.empty()) {
          result.first_error = opened.status().ToString();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  result.elapsed = absl::Now() - start;
  ASSIGN_OR_RETURN(nlohmann::json stats, emulator.Stats());
  for (const auto& [endpoint, statuses] : stats["responses"].items()) {
    if (statuses.contains("429"))
      result.emulator_429s += statuses["429"].get<int>();
  }
  return result;
}

}  // namespace sejf::bench
