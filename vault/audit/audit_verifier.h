// Verification of a stored audit log: the whole hash chain and every signed
// checkpoint (formats in audit_event.h and audit_checkpoint.h).
//
// What holds when the result is ok:
//   - events 1..N exist without gaps, each row parses, holds its own
//     sequence number, and its stored hash_n equals
//     SHA-256(hash_{n-1} || canonical(event_n)) from hash_0 = zeros;
//   - every checkpoint's signature verifies under the public key of the
//     audit key found in the HSM by label, the public key stored with it is
//     that key, and the hash it signs equals the recomputed hash_sequence;
//   - every chained (format 2) checkpoint names the checkpoint stored
//     before it, by sequence and digest, and no unchained one follows a
//     chained one;
//   - no checkpoint and no head record points past the last event;
//   - the HSM anchor (audit_anchor.h), when there is one, names an event
//     and a checkpoint the log holds, with the same hash and digest; when
//     there is none, the log has no chained checkpoint (those are only
//     written once an anchor exists);
//   - the event options.expect names (an operator's own record of a head)
//     is in the log with that hash.
// So an edit of any event, a deleted or reordered row, a forged, altered,
// deleted or reordered checkpoint, a rewrite of history up to a checkpoint,
// and a log cut short, rolled back or wiped below its anchor are found.
//
// Limits: events after the anchored checkpoint are protected by the chain
// only. Someone who can write the database could cut them off, or rewrite
// them with recomputed hashes, together with the unsigned head record. The
// log checkpoints (and anchors) every N events and at every clean shutdown,
// which bounds that window: after a clean shutdown it is empty. Someone who
// holds the HSM user PIN can sign and anchor anything: the anchor protects
// against database access, not against the HSM's user.
//
#ifndef SEJF_VAULT_AUDIT_AUDIT_VERIFIER_H_
#define SEJF_VAULT_AUDIT_AUDIT_VERIFIER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/key_store.h"
#include "vault/audit/audit_anchor.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

struct AuditVerifyOptions {
  // Compare the log against the HSM anchor (off only while sejfd re-anchors
  // a log on an operator's explicit request, see AuditLogOptions).
  bool check_anchor = true;
  // An operator's own record of a head: the log must hold event
  // `expect->first` with hash `expect->second` (32 bytes).
  std::optional<std::pair<std::int64_t, std::string>> expect = std::nullopt;
};

struct AuditVerifyResult {
  // True only when the whole chain and all checkpoint signatures hold.
  bool ok = false;
  // Events whose hash was recomputed and matched, and checkpoints whose
  // signature verified and whose hash matched the chain, before the first
  // problem (all of them when ok).
  std::int64_t events_checked = 0;
  std::int64_t checkpoints_checked = 0;
  // The smallest sequence number whose event or checkpoint does not verify
  // (for a gap: the first missing one); 0 when ok.
  std::int64_t first_bad_sequence = 0;
  // For a person: what was found ("event 17 was altered: …"), or a summary
  // when ok (including how many recent events no checkpoint covers yet).
  std::string message = {};
  // The last event that verified and its hash (0 and the genesis hash for
  // an empty log): what an operator keeps to pass as expect later.
  std::int64_t head_sequence = 0;
  std::string head_hash = {};
  // The HSM anchor as read, if there is one.
  std::optional<AuditAnchor> anchor = std::nullopt;
  // Chained (format 2) checkpoints found, and the newest checkpoint's
  // digest (NoAuditCheckpointDigest when there is none).
  std::int64_t chained_checkpoints = 0;
  std::string last_checkpoint_digest = {};
};

// Verifies the audit log stored in `storage` against the audit key labelled
// `key_label` in `keys` and its anchor (read before the database, so a
// running log, which anchors after it commits, is never ahead of it). A
// tampered log is an OK status with result.ok == false; a missing audit key
// makes every checkpoint fail. The status is an error only when the check could
// not be done (storage or HSM UNAVAILABLE, etc.); then nothing can be said
// about the log.
absl::StatusOr<AuditVerifyResult> VerifyAuditLog(
    Storage& storage, hsm::KeyStore& keys, absl::string_view key_label,
    const AuditVerifyOptions& options = {});

}  // namespace sejf::vault

#endif  // SEJF_VAULT_AUDIT_AUDIT_VERIFIER_H_
