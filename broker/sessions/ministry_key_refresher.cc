#include "broker/sessions/ministry_key_refresher.h"

#include <random>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sejf::broker {

absl::StatusOr<std::unique_ptr<MinistryKeyRefresher>>
MinistryKeyRefresher::Start(KsefSessions* sessions, Options options) {
  if (sessions == nullptr) {
    return absl::InvalidArgumentError("MinistryKeyRefresher needs sessions");
  }
  if (options.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the Ministry key refresh interval must be positive; got ",
                     absl::FormatDuration(options.interval)));
  }
  if (options.jitter < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the Ministry key refresh jitter must not be negative; "
                     "got ",
                     absl::FormatDuration(options.jitter)));
  }
  std::unique_ptr<MinistryKeyRefresher> refresher(
      new MinistryKeyRefresher(sessions, std::move(options)));
  refresher->thread_ = std::thread([r = refresher.get()] { r->Loop(); });
  return refresher;
}

MinistryKeyRefresher::MinistryKeyRefresher(KsefSessions* sessions,
                                           Options options)
    : sessions_(sessions), options_(std::move(options)) {}

MinistryKeyRefresher::~MinistryKeyRefresher() { Stop(); }

void MinistryKeyRefresher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool MinistryKeyRefresher::stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

MinistryKeyRefresher::Round MinistryKeyRefresher::RefreshNow() {
  Round round;
  std::set<std::string> environments;
  std::string token;
  do {
    absl::StatusOr<SessionPage> page =
        sessions_->List(kMaxSessionPageSize, token);
    if (!page.ok()) {
      round.listing = page.status();
      if (options_.on_failure) options_.on_failure("", page.status());
      return round;
    }
    for (const SessionInfo& s : page->sessions) {
      if (s.state != SessionState::kClosed) environments.insert(s.environment);
    }
    token = std::move(page->next_page_token);
  } while (!token.empty());
  for (const std::string& environment : environments) {
    if (stopping()) break;
    absl::Status fetched =
        sessions_
            ->FetchMinistryCertificates(environment, {}, {}, "mfcert-refresh")
            .status();
    if (!fetched.ok() && options_.on_failure) {
      options_.on_failure(environment, fetched);
    }
    round.environments.emplace(environment, std::move(fetched));
  }
  return round;
}

void MinistryKeyRefresher::Loop() {
  std::mt19937_64 random{std::random_device{}()};
  for (;;) {
    RefreshNow();
    absl::MutexLock lock(&mu_);
    ++rounds_;
    if (stop_) return;
    std::uniform_int_distribution<std::int64_t> spread(
        0, absl::ToInt64Milliseconds(options_.jitter));
    const absl::Duration wait =
        options_.interval + absl::Milliseconds(spread(random));
    // Wakes at once on Stop.
    if (mu_.AwaitWithTimeout(absl::Condition(&stop_), wait)) return;
  }
}

std::int64_t MinistryKeyRefresher::rounds() const {
  absl::MutexLock lock(&mu_);
  return rounds_;
}

bool MinistryKeyRefresher::WaitForRounds(std::int64_t n) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || rounds_ >= n;
  };
  mu_.Await(absl::Condition(&done));
  return rounds_ >= n;
}

}  // namespace sejf::broker
