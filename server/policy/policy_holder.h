// The policy in force, replaced whole on reload (SIGHUP).
//
// Request handlers call Get() once per request and decide with that snapshot;
// a reload calls Set() with a fully built Policy. Readers see either the old
// or the new policy, never a mixture, and a snapshot stays valid (and
// unchanged) for as long as the reader holds it.
//
// Thread-safety: thread-safe.
#ifndef SEJF_SERVER_POLICY_POLICY_HOLDER_H_
#define SEJF_SERVER_POLICY_POLICY_HOLDER_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/policy/policy.h"

namespace sejf::server {

class PolicyHolder {
 public:
  // `initial` must not be null.
  explicit PolicyHolder(std::shared_ptr<const Policy> initial);

  PolicyHolder(const PolicyHolder&) = delete;
  PolicyHolder& operator=(const PolicyHolder&) = delete;

  // The current policy; never null. Cheap: a shared lock and a reference
  // count increment.
  std::shared_ptr<const Policy> Get() const ABSL_LOCKS_EXCLUDED(mu_);

  // Makes `next` (not null) the current policy. The previous policy is freed
  // when its last reader lets go of it.
  void Set(std::shared_ptr<const Policy> next) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const Policy> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_POLICY_POLICY_HOLDER_H_
