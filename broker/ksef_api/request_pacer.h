// Spaces sejfd's requests to one KSeF environment so that they stay under
// KSeF's published rate limit (ksef-protocol.md §9.2: the authentication
// endpoints allow 60 requests/s per client IP, counted in a sliding window)
// instead of running into 429s: every request takes the next free slot of a
// fixed rate, one slot every 1/rate, and its caller waits for that slot. A
// login storm (hundreds of sessions opened at once) then proceeds at the
// rate, in arrival order, and none of its callers sees a 429 KSeF would
// have answered. At most `rate + 1` requests fall into any one second.
//
// A caller whose slot is more than `max_wait` away is refused at once with
// RESOURCE_EXHAUSTED (saying how long the queue is) and takes no slot, so a
// backlog cannot grow without bound.
//
// Thread-safety: thread-safe.
#ifndef SEJF_BROKER_KSEF_API_REQUEST_PACER_H_
#define SEJF_BROKER_KSEF_API_REQUEST_PACER_H_

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace sejf::broker {

class RequestPacer {
 public:
  // `per_second` ≤ 0: no pacing (Acquire returns at once). `clock` must
  // outlive the pacer; `sleep` null: absl::SleepFor.
  RequestPacer(double per_second, absl::Duration max_wait, const Clock* clock,
               std::function<void(absl::Duration)> sleep = nullptr);

  // Waits for this request's slot. RESOURCE_EXHAUSTED when it is more than
  // max_wait away (nothing is taken then).
  absl::Status Acquire();

  // The time between two slots (zero when unpaced).
  absl::Duration interval() const { return interval_; }

 private:
  const absl::Duration interval_;
  const absl::Duration max_wait_;
  const Clock* const clock_;
  const std::function<void(absl::Duration)> sleep_;
  absl::Mutex mu_;
  // The first slot nobody holds yet.
  absl::Time next_free_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_KSEF_API_REQUEST_PACER_H_
