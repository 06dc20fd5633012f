#include "server/tls/peer_identity_cache.h"

#include <algorithm>
#include <utility>

namespace sejf::server {

PeerIdentityCache::PeerIdentityCache(std::size_t capacity,
                                     const RevocationHolder* revocations)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      revocations_(revocations) {}

absl::StatusOr<std::string> PeerIdentityCache::Admit(
    const PeerCertificate& peer) const {
  if (revocations_ != nullptr) {
    std::shared_ptr<const RevocationList> crl = revocations_->Get();
    if (crl != nullptr && crl->IsRevoked(peer.revocation_key)) {
      return absl::UnauthenticatedError(
          "client certificate is revoked (listed in the server's tls.crl)");
    }
  }
  return peer.identity;
}

absl::StatusOr<std::string> PeerIdentityCache::Resolve(absl::string_view pem) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = peers_.find(pem);
    if (it != peers_.end()) return Admit(it->second);
  }
  absl::StatusOr<PeerCertificate> peer = ReadPeerCertificate(pem);
  if (!peer.ok()) return peer.status();
  absl::StatusOr<std::string> admitted = Admit(*peer);
  absl::MutexLock lock(&mu_);
  if (peers_.size() >= capacity_) peers_.clear();
  peers_.try_emplace(std::string(pem), *std::move(peer));
  return admitted;
}

std::size_t PeerIdentityCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return peers_.size();
}

}  // namespace sejf::server
