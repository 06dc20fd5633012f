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
    : policy_(std::move(initial)) {
  DieIfNull(policy_.Get());
}

void PolicyHolder::Set(std::shared_ptr<const Policy> next) {
  DieIfNull(next);
  policy_.Set(std::move(next));
}

}  // namespace sejf::server
