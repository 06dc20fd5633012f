// broker::LifecycleWorker: sejfd's background thread for KSeF
// certificates (docs/lifecycle-certificates.md). At start and then every
// `poll_interval` it resumes pending enrollments
// (CertificateEnroller::ResumePending: after a restart this is what
// finishes an enrollment the previous process left pending), then renews
// the keys due and disables expired old versions
// (CertificateEnroller::RenewDue); every
// `status_interval` it mirrors the certificates' KSeF status
// (CertificateEnroller::RefreshStatuses). Failures go to `on_failure` and
// the next round tries again.
//
// Stopping (Stop, or the destructor) wakes the thread and joins it after
// the round under way.
//
// Thread-safety: thread-safe. The enroller must outlive the worker.
#ifndef SEJF_BROKER_LIFECYCLE_LIFECYCLE_WORKER_H_
#define SEJF_BROKER_LIFECYCLE_LIFECYCLE_WORKER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/lifecycle/certificate_enroller.h"

namespace sejf::broker {

class LifecycleWorker {
 public:
  struct Options {
    // [ksef] enrollment_poll_seconds, certificate_status_seconds.
    absl::Duration poll_interval = absl::Seconds(10);
    absl::Duration status_interval = absl::Hours(6);
    // Told of a failed round's step ("enroll-poll", "renew", "cert-status"); on
    // the worker's thread; may be empty.
    std::function<void(absl::string_view step, const absl::Status&)>
        on_failure = {};
    // Replicas (docs/replicas.md): when set, asked before each round; false
    // skips the round (another replica holds this duty: vault::DutyLease).
    // Empty: every round runs.
    std::function<bool()> holds_duty = {};
  };

  // INVALID_ARGUMENT for a null enroller or a non-positive interval.
  static absl::StatusOr<std::unique_ptr<LifecycleWorker>> Start(
      CertificateEnroller* enroller, Options options);

  LifecycleWorker(const LifecycleWorker&) = delete;
  LifecycleWorker& operator=(const LifecycleWorker&) = delete;
  ~LifecycleWorker();  // Stop()

  void Stop();  // idempotent

  // Rounds completed; blocks until `n` were (true) or the worker stopped.
  bool WaitForRounds(std::int64_t n) const;

 private:
  LifecycleWorker(CertificateEnroller* enroller, Options options)
      : enroller_(enroller), options_(std::move(options)) {}
  void Loop();

  CertificateEnroller* const enroller_;
  const Options options_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::int64_t rounds_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_LIFECYCLE_LIFECYCLE_WORKER_H_
