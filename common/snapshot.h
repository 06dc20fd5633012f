// Snapshot<T>: a value replaced whole while readers keep using the one they
// took (the policy on SIGHUP, the client-certificate CRLs).
//
// Readers call Get() once per request and decide with that snapshot; Set()
// installs a fully built value. A reader sees the old or the new value,
// never a mixture, and its snapshot stays valid (and unchanged) for as long
// as it holds it. The previous value is freed outside the lock when its last
// reader lets go, so destroying a large value never stalls readers.
//
// Thread-safety: thread-safe.
#ifndef SEJF_COMMON_SNAPSHOT_H_
#define SEJF_COMMON_SNAPSHOT_H_

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sejf {

template <typename T>
class Snapshot {
 public:
  explicit Snapshot(std::shared_ptr<const T> initial = nullptr)
      : current_(std::move(initial)) {}

  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // The current value (null if none was set). Cheap: a shared lock and a
  // reference-count increment.
  std::shared_ptr<const T> Get() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    return current_;
  }

  void Set(std::shared_ptr<const T> next) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      current_.swap(next);
    }
    // `next` now holds the previous value; it is released here, unlocked.
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const T> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf

#endif  // SEJF_COMMON_SNAPSHOT_H_
