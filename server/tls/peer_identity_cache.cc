#include "server/tls/peer_identity_cache.h"

#include <algorithm>
#include <utility>

#include "server/tls/peer_identity.h"

namespace sejf::server {

PeerIdentityCache::PeerIdentityCache(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)) {}

absl::StatusOr<std::string> PeerIdentityCache::Resolve(absl::string_view pem) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = identities_.find(pem);
    if (it != identities_.end()) return it->second;
  }
  absl::StatusOr<std::string> identity = IdentityFromCertificatePem(pem);
  if (!identity.ok()) return identity;
  absl::MutexLock lock(&mu_);
  if (identities_.size() >= capacity_) identities_.clear();
  identities_.try_emplace(std::string(pem), *identity);
  return identity;
}

std::size_t PeerIdentityCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return identities_.size();
}

}  // namespace sejf::server
