#include "hsm/call_pool.h"

#include "absl/strings/str_cat.h"

namespace sejf::hsm {

absl::StatusOr<std::unique_ptr<CallPool>> CallPool::Create(
    CallPoolOptions options) {
  if (options.workers < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HSM call pool: workers must be at least 1, not ", options.workers));
  }
  if (options.call_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "HSM call pool: call_timeout must be positive");
  }
  return std::unique_ptr<CallPool>(new CallPool(options));
}

CallPool::CallPool(CallPoolOptions options) : options_(options) {
  workers_.reserve(options_.workers);
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

CallPool::~CallPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

absl::Status CallPool::Run(absl::string_view what,
                           absl::AnyInvocable<absl::Status() &&> call) {
  auto result = std::make_shared<absl::Status>();
  absl::Status status =
      RunTask(what, [call = std::move(call), result]() mutable {
        *result = std::move(call)();
      });
  if (!status.ok()) return status;
  return *result;
}

absl::Status CallPool::RunTask(absl::string_view what,
                               absl::AnyInvocable<void() &&> run) {
  const absl::Time deadline = absl::Now() + options_.call_timeout;
  auto task = std::make_shared<Task>();
  task->run = std::move(run);
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return absl::UnavailableError(
        absl::StrCat("HSM call ", what, ": the service is stopping"));
  }
  if (stuck_ >= options_.workers) {
    ++rejected_;
    return absl::UnavailableError(absl::StrCat(
        "HSM call ", what, " refused: all ", options_.workers,
        " HSM workers are stuck in calls that did not return within ",
        absl::FormatDuration(options_.call_timeout),
        "; the HSM is not answering"));
  }
  queue_.push_back(task);
  auto done = [&task]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return task->state == Task::State::kDone;
  };
  if (mu_.AwaitWithDeadline(absl::Condition(&done), deadline)) {
    return absl::OkStatus();
  }
  ++timed_out_;
  if (task->state == Task::State::kQueued) {
    task->state = Task::State::kCancelled;  // a worker drops it unrun
    return absl::UnavailableError(
        absl::StrCat("HSM call ", what, " did not start within ",
                     absl::FormatDuration(options_.call_timeout),
                     ": every HSM worker is busy"));
  }
  task->abandoned = true;
  ++stuck_;
  return absl::UnavailableError(
      absl::StrCat("HSM call ", what, " did not return within ",
                   absl::FormatDuration(options_.call_timeout),
                   "; the HSM is not answering"));
}

void CallPool::Work() {
  for (;;) {
    std::shared_ptr<Task> task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
      if (task->state == Task::State::kCancelled) continue;
      task->state = Task::State::kRunning;
      ++busy_;
    }
    std::move(task->run)();
    task->run = nullptr;  // what it captured goes outside the lock
    absl::MutexLock lock(&mu_);
    task->state = Task::State::kDone;
    --busy_;
    if (task->abandoned) --stuck_;
  }
}

int CallPool::busy_workers() const {
  absl::MutexLock lock(&mu_);
  return busy_;
}

int CallPool::stuck_workers() const {
  absl::MutexLock lock(&mu_);
  return stuck_;
}

std::int64_t CallPool::timed_out_calls() const {
  absl::MutexLock lock(&mu_);
  return timed_out_;
}

std::int64_t CallPool::rejected_calls() const {
  absl::MutexLock lock(&mu_);
  return rejected_;
}

}  // namespace sejf::hsm
