// The policy in force, replaced whole on reload (SIGHUP): a Snapshot
// (common/snapshot.h) that never holds null.
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

#include "common/snapshot.h"
#include "server/policy/policy.h"

namespace sejf::server {

class PolicyHolder {
 public:
  // `initial` must not be null (aborts: a programming error).
  explicit PolicyHolder(std::shared_ptr<const Policy> initial);

  PolicyHolder(const PolicyHolder&) = delete;
  PolicyHolder& operator=(const PolicyHolder&) = delete;

  // The current policy; never null.
  std::shared_ptr<const Policy> Get() const { return policy_.Get(); }

  // Makes `next` (not null; aborts otherwise) the current policy. The
  // previous policy is freed when its last reader lets go of it.
  void Set(std::shared_ptr<const Policy> next);

 private:
  Snapshot<Policy> policy_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_POLICY_POLICY_HOLDER_H_
