#include "broker/lifecycle/lifecycle_worker.h"

#include <utility>

#include "absl/time/clock.h"

namespace sejf::broker {

absl::StatusOr<std::unique_ptr<LifecycleWorker>> LifecycleWorker::Start(
    CertificateEnroller* enroller, Options options) {
  if (enroller == nullptr || options.poll_interval <= absl::ZeroDuration() ||
      options.status_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "the lifecycle worker needs an enroller and positive intervals");
  }
  std::unique_ptr<LifecycleWorker> worker(
      new LifecycleWorker(enroller, std::move(options)));
  worker->thread_ = std::thread([w = worker.get()] { w->Loop(); });
  return worker;
}

LifecycleWorker::~LifecycleWorker() { Stop(); }

void LifecycleWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool LifecycleWorker::WaitForRounds(std::int64_t n) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || rounds_ >= n;
  };
  mu_.Await(absl::Condition(&done));
  return rounds_ >= n;
}

void LifecycleWorker::Loop() {
  absl::Time next_status = absl::Now() + options_.status_interval;
  for (;;) {
    const bool mine = !options_.holds_duty || options_.holds_duty();
    if (absl::Status s = mine ? enroller_->ResumePending() : absl::OkStatus();
        !s.ok() && options_.on_failure) {
      options_.on_failure("enroll-poll", s);
    }
    if (absl::Status s = mine ? enroller_->RenewDue() : absl::OkStatus();
        !s.ok() && options_.on_failure) {
      options_.on_failure("renew", s);
    }
    if (mine && absl::Now() >= next_status) {
      next_status = absl::Now() + options_.status_interval;
      if (absl::Status s = enroller_->RefreshStatuses();
          !s.ok() && options_.on_failure) {
        options_.on_failure("cert-status", s);
      }
    }
    absl::MutexLock lock(&mu_);
    ++rounds_;
    if (stop_) return;
    if (mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.poll_interval)) {
      return;
    }
  }
}

}  // namespace sejf::broker
