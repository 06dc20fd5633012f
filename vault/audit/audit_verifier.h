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
//   - no checkpoint and no head record points past the last event.
// So an edit of any event, a deleted or reordered row, a forged or altered
// checkpoint, or a rewrite of history up to a checkpoint is found.
//
// Limit (inherent to a signed-checkpoint design): events after the newest
// checkpoint are protected by the chain only. Someone who can write the
// database could cut them off, or rewrite them with recomputed hashes,
// together with the unsigned head record. The log checkpoints every N
// events and at every clean shutdown, which bounds that window.
//
// Thread-safety: thread-safe; reads one consistent snapshot of `storage`.
#ifndef SEJF_VAULT_AUDIT_AUDIT_VERIFIER_H_
#define SEJF_VAULT_AUDIT_AUDIT_VERIFIER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/key_store.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

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
};

// Verifies the audit log stored in `storage` against the audit key labelled
// `key_label` in `keys`. A tampered log is an OK status with result.ok ==
// false; a missing audit key makes every checkpoint fail. The status is an
// error only when the check could not be done (storage or HSM UNAVAILABLE,
// etc.); then nothing can be said about the log.
absl::StatusOr<AuditVerifyResult> VerifyAuditLog(Storage& storage,
                                                 hsm::KeyStore& keys,
                                                 absl::string_view key_label);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_AUDIT_AUDIT_VERIFIER_H_
