// A bounded pool of worker threads that runs HSM calls with a deadline, so
// that a hung HSM cannot hold its callers (gRPC server threads) forever.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<CallPool> pool,
//                    CallPool::Create({.workers = 8,
//                                      .call_timeout = absl::Seconds(10)}));
//   absl::StatusOr<std::string> sig = pool->Run<std::string>(
//       "Sign", [&store, key, data = std::string(data)] {
//         return store.Sign(key, scheme, data);
//       });
//
// Contract of Run:
//   - The call runs on one of `workers` threads; the caller waits at most
//     `call_timeout` from the moment it calls Run (time in the queue
//     included) and then answers UNAVAILABLE naming the call.
//   - A call that has not started by then never runs (nothing happened).
//   - A call that started and did not return in time is abandoned: it keeps
//     its worker until the HSM lets it go, and its result is dropped. Its
//     effect may still happen (as with any UNAVAILABLE from a KeyStore).
//     Such a worker counts as stuck until the call returns; then it serves
//     again (the pool heals by itself).
//   - While every worker is stuck, Run fails fast: UNAVAILABLE at once,
//     nothing queued.
// The function must own what it uses (capture by value): after a timeout
// the caller's stack is gone while the call may still run.
//
// Thread-safety: thread-safe. The destructor stops the workers after the
// calls queued and running have finished, so it waits for a hung call to
// return (the daemon stops after the HSM is un-hung, or is killed).
#ifndef SEJF_HSM_CALL_POOL_H_
#define SEJF_HSM_CALL_POOL_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sejf::hsm {

struct CallPoolOptions {
  int workers = 8;                                  // at least 1
  absl::Duration call_timeout = absl::Seconds(10);  // positive
};

class CallPool {
 public:
  // INVALID_ARGUMENT for workers < 1 or a call_timeout that is not positive.
  static absl::StatusOr<std::unique_ptr<CallPool>> Create(
      CallPoolOptions options);
  ~CallPool();

  CallPool(const CallPool&) = delete;
  CallPool& operator=(const CallPool&) = delete;

  // Runs `call` on a worker; see the contract above. `what` names the call in
  // the UNAVAILABLE messages ("HSM call Sign did not return within 10s").
  template <typename T>
  absl::StatusOr<T> Run(absl::string_view what,
                        absl::AnyInvocable<absl::StatusOr<T>() &&> call) {
    auto result = std::make_shared<std::optional<absl::StatusOr<T>>>();
    absl::Status status =
        RunTask(what, [call = std::move(call), result]() mutable {
          result->emplace(std::move(call)());
        });
    if (!status.ok()) return status;
    return *std::move(*result);
  }
  absl::Status Run(absl::string_view what,
                   absl::AnyInvocable<absl::Status() &&> call);

  const CallPoolOptions& options() const { return options_; }

  // Statistics for tests and metrics.
  int busy_workers() const;              // running a call now (stuck ones too)
  int stuck_workers() const;             // running an abandoned call now
  std::int64_t timed_out_calls() const;  // answered UNAVAILABLE by deadline
  std::int64_t rejected_calls() const;   // failed fast, every worker stuck

 private:
  struct Task {
    enum class State { kQueued, kRunning, kDone, kCancelled };
    State state = State::kQueued;
    bool abandoned = false;
    absl::AnyInvocable<void() &&> run;
  };

  explicit CallPool(CallPoolOptions options);
  // Queues `run` and waits for it; OK once it has run, else UNAVAILABLE.
  absl::Status RunTask(absl::string_view what,
                       absl::AnyInvocable<void() &&> run);
  void Work();

  const CallPoolOptions options_;
  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<Task>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int stuck_ ABSL_GUARDED_BY(mu_) = 0;
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t timed_out_ ABSL_GUARDED_BY(mu_) = 0;
  std::int64_t rejected_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> workers_;
};

}  // namespace sejf::hsm

#endif  // SEJF_HSM_CALL_POOL_H_
