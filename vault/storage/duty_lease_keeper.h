// vault::DutyLeaseKeeper: this process's duty leases (duty_lease.h), kept
// fresh by a heartbeat of their own, independent of how often each duty's
// rounds come. The lease of a duty that runs every 6 hours is free within
// minutes of its holder's death (the next round of a surviving replica
// runs it), while a living holder never loses it between its rounds.
//
//   DutyLeaseKeeper keeper(&storage, &clock, DutyLease::NewHolderId(), {});
//   std::function<bool()> holds = keeper.Duty("token-status-watch");
//   keeper.Start();                  // the heartbeat thread
//   ...  if (holds()) DoTheRound();  // before each round
//   keeper.Stop();                   // at a clean stop: leases released
//
// Each lease lasts options.ttl. Every options.heartbeat the keeper renews
// the leases this process holds (DutyLease::Renew); it takes none. A
// duty's round asks its Duty() function, which calls TryHold: a renewal,
// or taking the duty when its lease is free or has run out. So one process
// at a time holds each duty; a living holder keeps it between rounds hours
// apart; a holder that dies leaves it for at most options.ttl, and the
// first other process whose round comes after that takes it and runs the
// round. Clocks of the processes must agree to well within options.ttl -
// options.heartbeat.
//
// Thread-safety: thread-safe. Duty() before Start(); Stop() once (the
// destructor calls it). Storage and clock must outlive the keeper.
#ifndef SEJF_VAULT_STORAGE_DUTY_LEASE_KEEPER_H_
#define SEJF_VAULT_STORAGE_DUTY_LEASE_KEEPER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "vault/storage/duty_lease.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

struct DutyLeaseKeeperOptions {
  // How long a lease lasts without renewal: how long a dead holder keeps
  // its duties. > 2 * heartbeat.
  absl::Duration ttl = absl::Minutes(3);
  // How often the leases this process holds are renewed.
  absl::Duration heartbeat = absl::Minutes(1);
  // Called (from the heartbeat or a round) when a lease could not be read
  // or written; the duty is not held then. May be empty.
  std::function<void(absl::string_view duty, const absl::Status&)> on_error =
      {};
};

class DutyLeaseKeeper {
 public:
  DutyLeaseKeeper(Storage* storage, const Clock* clock, std::string holder,
                  DutyLeaseKeeperOptions options);
  ~DutyLeaseKeeper();

  DutyLeaseKeeper(const DutyLeaseKeeper&) = delete;
  DutyLeaseKeeper& operator=(const DutyLeaseKeeper&) = delete;

  // Adds `duty` (a record name, record_rules.h) and returns the function its
  // worker calls before each round: true when this process holds the duty
  // now (renewed, or taken because it was free), false when another
  // process's lease runs or the storage failed (on_error). The function is
  // valid for the keeper's lifetime.
  std::function<bool()> Duty(absl::string_view duty);

  // Starts the heartbeat thread (its first beat at once).
  void Start();

  // One heartbeat: Renew on every duty. What the thread does every
  // options.heartbeat; public for tests, which drive it with a fake clock.
  void Heartbeat();

  // Stops the heartbeat and releases every lease this process holds, so
  // another process takes each duty at its next round.
  void Stop();

  const std::string& holder() const { return holder_; }

 private:
  bool Hold(DutyLease& lease);

  Storage* const storage_;
  const Clock* const clock_;
  const std::string holder_;
  const DutyLeaseKeeperOptions options_;
  // Added before Start, never removed: the pointers stay valid.
  std::vector<std::unique_ptr<DutyLease>> leases_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_DUTY_LEASE_KEEPER_H_
