// broker::KsefTokenWatcher: sejfd's status watch of KSeF tokens (issue 14;
// docs/lifecycle-tokens.md). A background thread runs KsefTokens::CheckAll
// every `interval` ([ksef] token_status_interval_seconds, default 6 h; the
// first pass one interval after start), and at once when Poke() is called
// (sejfd pokes it when a token login failed with KSeF status 450).
// Stopping (Stop, the destructor) wakes the thread and joins it after the
// check under way.
//
// Thread-safety: thread-safe. `tokens` must outlive the watcher.
#ifndef SEJF_BROKER_LIFECYCLE_KSEF_TOKEN_WATCHER_H_
#define SEJF_BROKER_LIFECYCLE_KSEF_TOKEN_WATCHER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/lifecycle/ksef_tokens.h"

namespace sejf::broker {

class KsefTokenWatcher {
 public:
  struct Options {
    absl::Duration interval = absl::Hours(6);
    // Told of every pass (on the watcher's thread); may be empty.
    std::function<void(const KsefTokenWatchPass&)> on_pass = {};
    // Replicas (docs/replicas.md): when set, asked before each round; false
    // skips the round (another replica holds this duty: vault::DutyLease).
    // Empty: every round runs.
    std::function<bool()> holds_duty = {};
  };

  // INVALID_ARGUMENT for a null `tokens` or a non-positive interval.
  static absl::StatusOr<std::unique_ptr<KsefTokenWatcher>> Start(
      KsefTokens* tokens, Options options);
  KsefTokenWatcher(const KsefTokenWatcher&) = delete;
  KsefTokenWatcher& operator=(const KsefTokenWatcher&) = delete;
  ~KsefTokenWatcher();

  void Stop();
  // A pass now (on the watcher's thread), e.g. after a 450 login.
  void Poke();
  // Passes completed.
  std::int64_t passes() const;
  // Blocks until `n` passes completed (true) or the watcher stopped.
  bool WaitForPasses(std::int64_t n) const;

 private:
  KsefTokenWatcher(KsefTokens* tokens, Options options)
      : tokens_(tokens), options_(std::move(options)) {}
  void Loop();

  KsefTokens* const tokens_;
  const Options options_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  std::int64_t passes_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_LIFECYCLE_KSEF_TOKEN_WATCHER_H_
