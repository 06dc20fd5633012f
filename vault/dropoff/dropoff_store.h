// vault::DropoffStore: one-time drop-off links (issue 15, docs/dropoff.md).
//
// An operator makes a link for one credential that does not exist yet (a
// KSeF token, or a certificate + key) and gives it to a person; the person
// opens it in a browser and hands the credential over once. The link is
// https://HOST:PORT/d/<id>#<secret>: the id names the record (kind
// "dropoffs", dropoff_record.h), the secret — 128 random bits, 22 characters
// of unpadded Base64url — is the only authority and is stored as its
// SHA-256 alone, so neither the database nor a log can reproduce it.
//
// Rules every check applies, in this order:
//   - an id of another shape, or none stored: NOT_FOUND ("no such link");
//   - a link not pending: FAILED_PRECONDITION saying why (used, cancelled,
//     expired, locked);
//   - a pending link past its expiry is marked expired (stored) and refused
//     FAILED_PRECONDITION "expired";
//   - within `failure_delay` of the last wrong secret: RESOURCE_EXHAUSTED,
//     nothing checked or counted (the rate limit of guessing);
//   - a wrong secret: PERMISSION_DENIED, counted; the `max_failed_attempts`th
//     locks the link for good.
// Messages never contain the secret, its hash, or the context.
//
// Redeem claims the link (pending -> used) in one write transaction before
// it hands the credential on, so two concurrent posts cannot both deliver;
// when delivering fails the link is released back to pending (unless it
// expired meanwhile). A crash between claim and delivery leaves a used link
// without a credential: the safe side; the operator makes a new link.
//
// Thread-safety: thread-safe; changes are the storage's write transactions.
#ifndef SEJF_VAULT_DROPOFF_DROPOFF_STORE_H_
#define SEJF_VAULT_DROPOFF_DROPOFF_STORE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/secret.h"
#include "vault/dropoff/dropoff_record.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

// A link as callers see it; record.state is the effective state (a pending
// record past its expiry reads as expired even before it is stored so).
struct Dropoff {
  std::string id = {};
  DropoffRecord record = {};
};

struct DropoffRequest {
  DropoffTarget target = DropoffTarget::kToken;
  std::string target_name = {};  // credential_name.h rule
  // Token: required, a token context (nip: or internal-id:). Key: optional,
  // any KSeF context (it scopes who may manage the link).
  std::string context = {};
  std::string key_usage = {};  // key only: "", "authentication", "offline"
  std::string created_by = {};
  absl::Duration lifetime = absl::Hours(24);
};

struct NewDropoff {
  Dropoff dropoff = {};
  SecretBytes secret = {};  // the link's fragment; shown once, never stored
};

struct DropoffOptions {
  int max_failed_attempts = 5;
  absl::Duration failure_delay = absl::Seconds(1);
  absl::Duration max_lifetime = absl::Hours(24 * 7);
};

inline constexpr absl::Duration kMinDropoffLifetime = absl::Minutes(1);
// The most records List returns (oldest ids first, by id order).
inline constexpr int kMaxDropoffsListed = 1000;

class DropoffStore {
 public:
  // `storage` and `clock` must outlive the store.
  DropoffStore(Storage* storage, const Clock* clock,
               DropoffOptions options = {});

  // A new pending link. INVALID_ARGUMENT naming the field for a bad name,
  // context or usage, or a lifetime outside [1 minute, max_lifetime].
  absl::StatusOr<NewDropoff> Create(const DropoffRequest& request);
  // Create's validation alone (for adapters, before they authorize).
  absl::Status CheckRequest(const DropoffRequest& request) const;

  // NOT_FOUND for an unknown id.
  absl::StatusOr<Dropoff> Get(absl::string_view id);

  // Every link, by id, at most kMaxDropoffsListed.
  absl::StatusOr<std::vector<Dropoff>> List();

  // pending -> cancelled. FAILED_PRECONDITION when it is no longer pending.
  absl::StatusOr<Dropoff> Cancel(absl::string_view id);

  // The person's check when the page opens: the rules above. The link
  // stays pending.
  absl::StatusOr<Dropoff> Check(absl::string_view id,
                                const SecretBytes& secret);

  // Check, claim, `deliver`, then used — or released on failure, returning
  // deliver's status. The returned record is in state used.
  absl::StatusOr<Dropoff> Redeem(
      absl::string_view id, const SecretBytes& secret,
      const std::function<absl::Status(const Dropoff&)>& deliver);

 private:
  // The validated pending record of `request` made at `now` (no secret yet).
  absl::StatusOr<DropoffRecord> NewRecord(const DropoffRequest& request,
                                          absl::Time now) const;
  // The rules above in one write transaction; `claim` then marks it used.
  absl::StatusOr<Dropoff> CheckAndMaybeClaim(absl::string_view id,
                                             const SecretBytes& secret,
                                             bool claim);

  Storage* const storage_;
  const Clock* const clock_;
  const DropoffOptions options_;
};

// Whether `id` has the shape of a drop-off id (16 lowercase hex digits).
bool IsDropoffId(absl::string_view id);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_DROPOFF_DROPOFF_STORE_H_
