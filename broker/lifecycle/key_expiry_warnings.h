// broker::KeyExpiryWarnings: which key certificates to warn about, and
// when (docs/lifecycle-certificates.md, "Expiry"). Warnings fall at 30, 7
// and 1 days before a certificate's notAfter; each threshold is warned once
// per key and certificate serial. A certificate first seen inside a
// threshold is warned once, at the nearest threshold it is inside (a key 5
// days from expiry: one warning, at 7; the 1-day warning still follows).
// Certificates already expired are not warned (signing refuses them).
//
// What was warned is remembered in memory only: a restarted sejfd warns a
// key inside a threshold once more.
//
// KeyExpiryWatch: sejfd's check that, once in Start (before it returns)
// and then every `interval` on its own thread, lists the keys whose certificate
// expires within 30 days and logs (on_warning) and audits (operation
// "keys.expiry_warning", identity "sejfd") each warning due.
//
// Thread-safety: KeyExpiryWarnings is not thread-safe (the watch's thread
// owns its one); KeyExpiryWatch is thread-safe. The custody, audit log and
// clock must outlive the watch.
#ifndef SEJF_BROKER_LIFECYCLE_KEY_EXPIRY_WARNINGS_H_
#define SEJF_BROKER_LIFECYCLE_KEY_EXPIRY_WARNINGS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "signer/custody/key_custody.h"
#include "vault/audit/audit_log.h"

namespace sejf::broker {

// The thresholds, in days before notAfter, largest first.
inline constexpr int kExpiryWarningDays[] = {30, 7, 1};

// A key's certificate as the schedule needs it.
struct ExpiringCertificate {
  std::string key;  // "keys/NAME"
  std::string serial;
  absl::Time not_after = absl::InfinitePast();
};

struct ExpiryWarning {
  std::string key;  // "keys/NAME"
  std::string serial;
  absl::Time not_after = absl::InfinitePast();
  int threshold_days = 0;  // 30, 7 or 1
  // Whole days left, rounded down (0: less than a day).
  std::int64_t days_left = 0;
};

class KeyExpiryWarnings {
 public:
  // The warnings due at `now` for `certificates` that were not given before.
  std::vector<ExpiryWarning> Due(
      const std::vector<ExpiringCertificate>& certificates, absl::Time now);

 private:
  absl::flat_hash_set<std::string> warned_;  // key, serial, threshold
};

class KeyExpiryWatch {
 public:
  struct Options {
    absl::Duration interval = absl::Hours(1);
    // Told of each warning (to log it) and of a failed round; on the
    // watch's thread; may be empty.
    std::function<void(const ExpiryWarning&)> on_warning = {};
    std::function<void(const absl::Status&)> on_failure = {};
    // Replicas (docs/replicas.md): when set, asked before each round (also
    // Start's); false skips the round (another replica holds this duty:
    // vault::DutyLease). Empty: every round runs.
    std::function<bool()> holds_duty = {};
  };

  // INVALID_ARGUMENT for a null custody or clock or a non-positive
  // interval. `audit` may be null (no audit events).
  static absl::StatusOr<std::unique_ptr<KeyExpiryWatch>> Start(
      signer::KeyCustody* keys, vault::AuditLog* audit, const Clock* clock,
      Options options);

  KeyExpiryWatch(const KeyExpiryWatch&) = delete;
  KeyExpiryWatch& operator=(const KeyExpiryWatch&) = delete;
  ~KeyExpiryWatch();  // Stop()

  void Stop();  // idempotent

  // One round now, on the caller's thread (what the watch's thread does).
  absl::Status RunOnce();

  // Rounds completed; blocks until `n` were (true) or the watch stopped.
  bool WaitForRounds(std::int64_t n) const;

 private:
  KeyExpiryWatch(signer::KeyCustody* keys, vault::AuditLog* audit,
                 const Clock* clock, Options options)
      : keys_(keys),
        audit_(audit),
        clock_(clock),
        options_(std::move(options)) {}
  void Round();  // RunOnce, on_failure, counted
  void Loop();

  signer::KeyCustody* const keys_;
  vault::AuditLog* const audit_;
  const Clock* const clock_;
  const Options options_;
  absl::Mutex round_mu_;  // one round at a time
  KeyExpiryWarnings warnings_ ABSL_GUARDED_BY(round_mu_);
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::int64_t rounds_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_LIFECYCLE_KEY_EXPIRY_WARNINGS_H_
