// vault::DutyLease: which one of several processes sharing one storage
// (sejfd replicas, docs/replicas.md) performs a background duty now —
// resuming KSeF certificate enrollments, watching token statuses, warning
// of expiring certificates — so that replicas do not all do it at once
// (each asking KSeF the same, each auditing the same warning).
//
//   DutyLease lease(&storage, &clock, "certificate-lifecycle",
//                   DutyLease::NewHolderId(), absl::Minutes(1));
//   absl::StatusOr<bool> mine = lease.TryHold();  // before each round
//   if (mine.ok() && *mine) DoTheRound();
//   lease.Release().IgnoreError();                // at a clean stop
//
// sejfd keeps its duties' leases through DutyLeaseKeeper
// (duty_lease_keeper.h), which renews them on a heartbeat of their own.
//
// Stored as one record per duty: kind kDutyLeaseKind, name = the duty, data
// one JSON object (unknown members ignored):
//
//   {"format":1, "holder":"<host>/<pid>/<random hex>",
//    "expires_us":<unix microseconds>}
//
// TryHold, in one read-write transaction (so serialized with every other
// process's): the duty is this holder's when there is no record, when the
// record has expired, when this holder holds it, or when the record does
// not parse (a damaged lease must not stop a duty for good); then its
// expiry becomes now + ttl. Otherwise another holder has it: false,
// nothing written. A holder that stops without Release (killed, or its
// storage gone) keeps the duty until expiry: another process takes it over
// within ttl after that. Clocks of the processes must agree to well within
// ttl; a duty round that takes longer than ttl may overlap another's.
//
// Thread-safety: thread-safe (each call is its own transaction). Storage
// and clock must outlive the lease.
#ifndef SEJF_VAULT_STORAGE_DUTY_LEASE_H_
#define SEJF_VAULT_STORAGE_DUTY_LEASE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

inline constexpr absl::string_view kDutyLeaseKind = "duty_leases";

class DutyLease {
 public:
  // `duty` is a record name (record_rules.h); `holder` names this process
  // (NewHolderId); `ttl` > 0.
  DutyLease(Storage* storage, const Clock* clock, std::string duty,
            std::string holder, absl::Duration ttl);

  DutyLease(const DutyLease&) = delete;
  DutyLease& operator=(const DutyLease&) = delete;

  // True when this holder has the duty until now + ttl (taken or renewed);
  // false when another holder's lease runs. Storage errors (UNAVAILABLE,
  // ...): nothing is known; callers skip the round.
  absl::StatusOr<bool> TryHold();

  // Extends this holder's lease to now + ttl when the stored lease is this
  // holder's (even if it has run out, as long as nobody took it), and
  // answers true; false, nothing written, when another holder's lease (or
  // none) is stored: a free duty is not taken here. Storage errors.
  absl::StatusOr<bool> Renew();

  // Gives the duty up at once when this holder has it (a clean stop), so
  // another process takes it at its next round. Storage errors.
  absl::Status Release();

  const std::string& duty() const { return duty_; }
  const std::string& holder() const { return holder_; }

  // "<hostname>/<pid>/<8 random bytes in hex>": unique per process start.
  static std::string NewHolderId();

 private:
  Storage* const storage_;
  const Clock* const clock_;
  const std::string duty_;
  const std::string holder_;
  const absl::Duration ttl_;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_DUTY_LEASE_H_
