// Per-identity request rate limits ([limits] requests_per_second and burst):
// a token bucket for each caller identity as RunRpc resolves it
// (rpc_call.h), refilled at `requests_per_second` up to `burst`. A call
// finding its identity's bucket empty is refused with RESOURCE_EXHAUSTED and
// the time until the next token (the frame sends it as google.rpc.RetryInfo
// and names it in the message). One identity's flood empties only its own
// bucket: the others are served as before.
//
// The map of buckets is bounded (kMaxIdentities). Evicting a full bucket
// loses nothing (a new one starts full), so when the map is full the idle
// ones — full again — go first; if every entry is still refilling (more
// than kMaxIdentities identities active within burst / requests_per_second
// seconds) the least recently used one is dropped, which at worst lets that
// identity start a fresh burst early. Identities come from certificates
// the CA issued or from unix uids, so this needs many real credentials.
//
// Refusals are reported once per streak: Admit says whether a refusal is
// the first since the identity's last admitted call (log and audit that
// one), and an admitted call after a streak says how many were refused in
// it (for a closing log line), so a flood writes two lines, not millions.
//
// Thread-safety: thread-safe.
#ifndef SEJF_SERVER_RATE_LIMITER_H_
#define SEJF_SERVER_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace sejf::server {

struct RateLimit {
  // Tokens added per second; 0 disables the limit.
  int requests_per_second = 0;
  // The bucket's size: calls an idle identity may make at once. At least 1
  // when requests_per_second is set.
  int burst = 0;
};

// What Admit decided for one call.
struct RateDecision {
  bool allowed = true;
  // When refused: how long until the bucket holds a token again.
  absl::Duration retry_after = absl::ZeroDuration();
  // When refused: whether this is the first refusal of a streak.
  bool first_refusal = false;
  // When allowed: the calls refused in the streak this call ends (0: none).
  std::int64_t refused_before = 0;
};

class RateLimiter {
 public:
  // The most identities with a bucket at once.
  static constexpr std::size_t kMaxIdentities = 10000;

  // `clock` must outlive the limiter. `limit.requests_per_second` 0: every
  // call is admitted and nothing is stored.
  RateLimiter(RateLimit limit, const Clock& clock);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  bool enabled() const { return limit_.requests_per_second > 0; }
  const RateLimit& limit() const { return limit_; }

  // Takes a token from `identity`'s bucket, or refuses the call.
  RateDecision Admit(absl::string_view identity);

  // Identities holding a bucket now (for tests of the bound).
  std::size_t TrackedIdentities() const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
    std::int64_t refused = 0;  // in the current streak
  };

  // Tokens in `bucket` at `now` (refilled, capped at burst).
  double Refilled(const Bucket& bucket, absl::Time now) const;
  // Makes room for one more bucket.
  void EvictForNew(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimit limit_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_RATE_LIMITER_H_
