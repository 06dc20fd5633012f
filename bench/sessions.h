// The KSeF session scenarios of sejf-bench, against the KSeF emulator
// (tests/ksef_emulator/) that sejf-bench starts before the daemon:
//   session_token_cached  GetAccessToken of one open session whose access
//                         token is fresh (served from sejfd's cache, no
//                         KSeF call); reported as a ratio to grpc_empty_call
//                         (results.h, target ≥ 0.9).
//   login_storm           `sessions` sessions over `contexts` KSeF contexts
//                         opened by `callers` callers at once, the emulator
//                         enforcing KSeF's published rate limits: every one
//                         must open, and no 429 may reach a caller.
//
// Thread-safety: functions over a client (thread-safe) and the emulator.
#ifndef SEJF_BENCH_SESSIONS_H_
#define SEJF_BENCH_SESSIONS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "tests/testing/ksef_emulator.h"

namespace sejf::bench {

// The environment name sejfd's config gives the emulator.
inline constexpr char kEmulatorEnvironment[] = "emu";

// Starts the emulator: no pending poll, no rate limits yet.
absl::StatusOr<std::unique_ptr<testing::KsefEmulator>> StartEmulator();

// The sejfd.toml text that points kEmulatorEnvironment at `emulator`.
std::string EmulatorConfig(const testing::KsefEmulator& emulator);

// The n-th valid NIP (10 digits, correct checksum) of a fixed sequence.
std::string NthNip(int n);

// Imports a KSeF token for `context` ("nip:…") named `token_id`, known to
// the emulator, through `client` (an admin).
absl::Status ImportKnownToken(client::Client& client,
                              const testing::KsefEmulator& emulator,
                              const std::string& token_id,
                              const std::string& context);

// Opens session `session_id` with token `token_id` in `context`; returns
// its resource name.
absl::StatusOr<std::string> OpenSession(client::Client& client,
                                        const std::string& session_id,
                                        const std::string& token_id,
                                        const std::string& context);

struct StormResult {
  int opened = 0;
  int failed = 0;
  // Failures whose status was RESOURCE_EXHAUSTED (a 429 that reached the
  // caller).
  int rate_limited = 0;
  std::string first_error;
  absl::Duration elapsed;
  // 429 answers the emulator sent in all (absorbed by sejfd when
  // rate_limited is 0).
  int emulator_429s = 0;
};

// The login storm (see above), names prefixed with `run`. The emulator's
// published rate limits are on from here on.
absl::StatusOr<StormResult> LoginStorm(client::Client& client,
                                       const testing::KsefEmulator& emulator,
                                       const std::string& run, int sessions,
                                       int contexts, int callers);

}  // namespace sejf::bench

#endif  // SEJF_BENCH_SESSIONS_H_
