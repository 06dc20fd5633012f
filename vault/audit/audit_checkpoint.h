// Signed checkpoints of the audit hash chain, and the head record.
//
// A checkpoint says "event `sequence` has hash_sequence = `hash`", signed by
// the HSM audit key (EC P-256, ECDSA-SHA256), so that someone who can write
// the database still cannot rewrite events up to that point unnoticed.
// Since format 2 each checkpoint also names the checkpoint before it (its
// sequence and digest), so the checkpoints form a signed chain of their own:
// deleting or swapping one breaks the next one's link. The newest
// checkpoint is anchored outside the database (audit_anchor.h), so cutting
// the chain's end off is found too.
//
// Signed data (AuditCheckpointSignedData): ASCII text, exactly
//
//   format 1 (logs written before checkpoints were chained; still verified):
//   "sejf-audit-checkpoint-v1\n"
//   "sequence=<sequence, decimal, no leading zeros>\n"
//   "hash=<hash_sequence, 64 lower-case hex digits>\n"
//   "time_us=<signing time, microseconds since the Unix epoch, decimal>\n"
//
//   format 2 (written now):
//   "sejf-audit-checkpoint-v2\n"
//   "sequence=…\n" "hash=…\n" "time_us=…\n"    (as in format 1)
//   "previous_sequence=<the previous checkpoint's sequence; 0 for none>\n"
//   "previous_digest=<its AuditCheckpointDigest, 64 hex digits; zeros for
//                     none>\n"
//
// The signature is ECDSA over SHA-256 of those bytes, raw r||s (64 bytes;
// hsm::EcdsaRawToDer gives the DER form `openssl dgst -sha256 -verify`
// wants). A checkpoint's digest (AuditCheckpointDigest) is SHA-256 of its
// signed data: `openssl dgst -sha256` of the same bytes.
//
// Stored checkpoint (EncodeAuditCheckpoint): kind "audit_checkpoints",
// record name AuditSequenceName(sequence), data (big-endian; "str" = u32
// length + bytes):
//
//   offset  size  field
//   0       1     format version: 0x01 or 0x02
//   1       8     sequence: u64
//   9       32    hash_sequence
//   41      8     time: i64 microseconds since the Unix epoch
//   format 2 only:
//   49      8     previous_sequence: u64
//   57      32    previous_digest
//   then    str   signature (raw r||s)
//           str   public key of the audit key, DER SubjectPublicKeyInfo
//
// Head record (EncodeAuditHead): kind "audit_head", name "head", data
//   0x01 (format), u64 sequence, 32-byte hash_sequence:
// the newest checkpointed event (sequence 0 and the genesis hash before the
// first checkpoint). It lets AuditLog::Open find the end of the chain
// without reading the whole log: it reads forward from the head only.
//
// Thread-safety: value types and pure functions.
#ifndef SEJF_VAULT_AUDIT_AUDIT_CHECKPOINT_H_
#define SEJF_VAULT_AUDIT_AUDIT_CHECKPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sejf::vault {

inline constexpr absl::string_view kAuditCheckpointKind = "audit_checkpoints";
inline constexpr absl::string_view kAuditHeadKind = "audit_head";
inline constexpr absl::string_view kAuditHeadName = "head";

inline constexpr int kAuditCheckpointUnchained = 1;  // format 1
inline constexpr int kAuditCheckpointChained = 2;    // format 2

struct AuditCheckpoint {
  // kAuditCheckpointUnchained or kAuditCheckpointChained (what the log
  // signs now).
  int format = kAuditCheckpointUnchained;
  std::int64_t sequence = 0;            // the event covered (and all before it)
  std::string hash = {};                // hash_sequence, 32 bytes
  absl::Time time = absl::UnixEpoch();  // when signed, µs precision
  // Format 2: the checkpoint before this one (0 and 32 zero bytes for the
  // first). Empty in format 1.
  std::int64_t previous_sequence = 0;
  std::string previous_digest = {};
  std::string signature = {};   // raw r||s
  std::string public_key = {};  // the audit key, SPKI DER

  bool operator==(const AuditCheckpoint&) const = default;
};

// The exact bytes the audit key signs for `checkpoint` (its format above).
std::string AuditCheckpointSignedData(const AuditCheckpoint& checkpoint);
// The format-1 signed data (kept for logs written before format 2).
std::string AuditCheckpointSignedData(std::int64_t sequence,
                                      absl::string_view hash, absl::Time time);

// SHA-256 of AuditCheckpointSignedData(checkpoint): what the next checkpoint
// and the HSM anchor name it by. 32 bytes.
std::string AuditCheckpointDigest(const AuditCheckpoint& checkpoint);

// What a checkpoint before the first one is named by: 32 zero bytes.
std::string NoAuditCheckpointDigest();

std::string EncodeAuditCheckpoint(const AuditCheckpoint& checkpoint);
// DATA_LOSS when `data` is not exactly one valid encoding.
absl::StatusOr<AuditCheckpoint> DecodeAuditCheckpoint(absl::string_view data);

struct AuditHead {
  std::int64_t sequence = 0;
  std::string hash = {};  // 32 bytes

  bool operator==(const AuditHead&) const = default;
};

std::string EncodeAuditHead(const AuditHead& head);
// DATA_LOSS when `data` is not exactly one valid encoding.
absl::StatusOr<AuditHead> DecodeAuditHead(absl::string_view data);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_AUDIT_AUDIT_CHECKPOINT_H_
