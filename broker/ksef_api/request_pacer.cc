#include "broker/ksef_api/request_pacer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sejf::broker {
namespace {

absl::Duration IntervalOf(double per_second) {
  return per_second > 0 ? absl::Seconds(1.0 / per_second)
                        : absl::ZeroDuration();
}

}  // namespace

RequestPacer::RequestPacer(double per_second, absl::Duration max_wait,
                           const Clock* clock,
                           std::function<void(absl::Duration)> sleep)
    : interval_(IntervalOf(per_second)),
      max_wait_(max_wait),
      clock_(clock),
      sleep_(std::move(sleep)) {}

absl::Status RequestPacer::Acquire() {
  if (interval_ == absl::ZeroDuration()) return absl::OkStatus();
  absl::Duration wait;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    const absl::Time slot = std::max(next_free_, now);
    wait = slot - now;
    if (wait > max_wait_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "sejfd's own queue of KSeF requests is ", absl::FormatDuration(wait),
          " long (paced at one request every ", absl::FormatDuration(interval_),
          "); try again later"));
    }
    next_free_ = slot + interval_;
  }
  if (wait > absl::ZeroDuration()) {
    if (sleep_) {
      sleep_(wait);
    } else {
      absl::SleepFor(wait);
    }
  }
  return absl::OkStatus();
}

}  // namespace sejf::broker
