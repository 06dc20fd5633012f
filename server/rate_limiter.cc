#include "server/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace sejf::server {

RateLimiter::RateLimiter(RateLimit limit, const Clock& clock)
    : limit_(limit), clock_(clock) {}

double RateLimiter::Refilled(const Bucket& bucket, absl::Time now) const {
  const double elapsed =
      std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
  return std::min(static_cast<double>(limit_.burst),
                  bucket.tokens + elapsed * limit_.requests_per_second);
}

void RateLimiter::EvictForNew(absl::Time now) {
  if (buckets_.size() < kMaxIdentities) return;
  // A full bucket is the same as none: drop every such one.
  absl::erase_if(buckets_, [&](const auto& entry) {
    return entry.second.refused == 0 &&
           Refilled(entry.second, now) >= limit_.burst;
  });
  if (buckets_.size() < kMaxIdentities) return;
  auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                 [](const auto& a, const auto& b) {
                                   return a.second.updated < b.second.updated;
                                 });
  buckets_.erase(oldest);
}

RateDecision RateLimiter::Admit(absl::string_view identity) {
  RateDecision decision;
  if (!enabled()) return decision;
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(identity);
  if (it == buckets_.end()) {
    EvictForNew(now);
    it = buckets_
             .emplace(std::string(identity),
                      Bucket{static_cast<double>(limit_.burst), now, 0})
             .first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = Refilled(bucket, now);
  bucket.updated = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    decision.refused_before = bucket.refused;
    bucket.refused = 0;
    return decision;
  }
  decision.allowed = false;
  decision.first_refusal = bucket.refused == 0;
  ++bucket.refused;
  // Rounded up to a whole millisecond, so that waiting it finds a token.
  const double seconds = (1.0 - bucket.tokens) / limit_.requests_per_second;
  decision.retry_after = absl::Milliseconds(std::ceil(seconds * 1000.0));
  return decision;
}

std::size_t RateLimiter::TrackedIdentities() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace sejf::server
