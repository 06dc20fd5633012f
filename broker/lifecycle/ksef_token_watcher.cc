#include "broker/lifecycle/ksef_token_watcher.h"

#include <utility>

#include "absl/status/status.h"

namespace sejf::broker {

absl::StatusOr<std::unique_ptr<KsefTokenWatcher>> KsefTokenWatcher::Start(
    KsefTokens* tokens, Options options) {
  if (tokens == nullptr || options.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "the token status watch needs the tokens and a positive interval "
        "([ksef] token_status_interval_seconds)");
  }
  std::unique_ptr<KsefTokenWatcher> watcher(
      new KsefTokenWatcher(tokens, std::move(options)));
  watcher->thread_ = std::thread([w = watcher.get()] { w->Loop(); });
  return watcher;
}

KsefTokenWatcher::~KsefTokenWatcher() { Stop(); }

void KsefTokenWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void KsefTokenWatcher::Poke() {
  absl::MutexLock lock(&mu_);
  poked_ = true;
}

std::int64_t KsefTokenWatcher::passes() const {
  absl::MutexLock lock(&mu_);
  return passes_;
}

bool KsefTokenWatcher::WaitForPasses(std::int64_t n) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return stop_ || passes_ >= n;
  };
  mu_.Await(absl::Condition(&done));
  return passes_ >= n;
}

void KsefTokenWatcher::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stop_ || poked_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), options_.interval);
      if (stop_) return;
      poked_ = false;
    }
    if (!options_.holds_duty || options_.holds_duty()) {
      KsefTokenWatchPass pass = tokens_->CheckAll();
      if (options_.on_pass) options_.on_pass(pass);
    }
    absl::MutexLock lock(&mu_);
    ++passes_;
  }
}

}  // namespace sejf::broker
