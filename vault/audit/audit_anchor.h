// The audit log's anchor: the newest checkpoint, recorded outside the
// database, in the HSM, where someone who can only write the database
// cannot reach it (hsm::KeyStore data objects: a private token object,
// readable and writable only with the user PIN, i.e. by sejfd).
//
// With the anchor, a log that was cut short, rolled back to an older copy
// or wiped no longer passes as a shorter valid log: VerifyAuditLog and
// AuditLog::Open compare the database against it (audit_verifier.h,
// audit_log.h).
//
// Value (EncodeAuditAnchor): ASCII text, exactly
//
//   "sejf-audit-anchor-v1\n"
//   "sequence=<the anchored checkpoint's sequence, decimal; 0: none yet>\n"
//   "hash=<hash_sequence of that event, 64 lower-case hex digits>\n"
//   "checkpoint=<AuditCheckpointDigest of the checkpoint, 64 hex digits;
//               zeros when sequence is 0>\n"
//
// so `pkcs11-tool --login --read-object --type data --label
// sejf-audit-anchor` shows it as it is.
//
// Order of writes: a checkpoint is committed to the database first, the
// anchor written after. A crash between the two leaves the anchor one
// checkpoint behind the database, which verifies; the anchor is never ahead
// of the database unless the database lost something.
//
// Thread-safety: value types and functions; the store calls are as
// thread-safe as the store.
#ifndef SEJF_VAULT_AUDIT_AUDIT_ANCHOR_H_
#define SEJF_VAULT_AUDIT_AUDIT_ANCHOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/key_store.h"

namespace sejf::vault {

struct AuditAnchor {
  std::int64_t sequence = 0;    // the newest anchored checkpoint's event
  std::string hash = {};        // hash_sequence, 32 bytes
  std::string checkpoint = {};  // AuditCheckpointDigest, 32 bytes

  bool operator==(const AuditAnchor&) const = default;
};

// The data object label of the anchor of the log whose audit key is
// labelled `key_label`: "<key_label>-anchor" ("sejf-audit-anchor").
std::string AuditAnchorLabel(absl::string_view key_label);

std::string EncodeAuditAnchor(const AuditAnchor& anchor);
// DATA_LOSS when `value` is not exactly one valid encoding.
absl::StatusOr<AuditAnchor> DecodeAuditAnchor(absl::string_view value);

// "SEQ:HASH" with the hash in hex, as `sejf audit verify` prints a head and
// --expect takes it; and back (INVALID_ARGUMENT naming the expected form).
std::string FormatAuditPosition(std::int64_t sequence, absl::string_view hash);
absl::StatusOr<std::pair<std::int64_t, std::string>> ParseAuditPosition(
    absl::string_view text);

// The anchor of the log with audit key `key_label`; nullopt when the HSM
// holds none. DATA_LOSS when the object holds something else; store errors
// (UNAVAILABLE, ...).
absl::StatusOr<std::optional<AuditAnchor>> ReadAuditAnchor(
    hsm::KeyStore& keys, absl::string_view key_label);

// Stores `anchor` as the anchor of the log with audit key `key_label`.
absl::Status WriteAuditAnchor(hsm::KeyStore& keys, absl::string_view key_label,
                              const AuditAnchor& anchor);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_AUDIT_AUDIT_ANCHOR_H_
