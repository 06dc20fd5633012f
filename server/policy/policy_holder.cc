#include "server/policy/policy_holder.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace sejf::server {
namespace {

// A null policy is a programming error in the caller; fail loudly at once
// rather than on the next request.
void DieIfNull(const std::shared_ptr<const Policy>& policy) {
  if (policy == nullptr) {
    std::fputs("PolicyHolder: null policy\n", stderr);
    std::abort();
  }
}

}  // namespace

PolicyHolder::PolicyHolder(std::shared_ptr<const Policy> initial)
    : current_(std::move(initial)) {
  DieIfNull(current_);
}

std::shared_ptr<const Policy> PolicyHolder::Get() const {
  absl::ReaderMutexLock lock(&mu_);
  return current_;
}

void PolicyHolder::Set(std::shared_ptr<const Policy> next) {
  DieIfNull(next);
  // Swap under the lock, free the old policy outside it: destroying a large
  // policy must not stall readers.
  {
    absl::MutexLock lock(&mu_);
    current_.swap(next);
  }
}

}  // namespace sejf::server
