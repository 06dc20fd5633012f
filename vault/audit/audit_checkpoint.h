// Signed checkpoints of the audit hash chain, and the head record.
//
// A checkpoint says "event `sequence` has hash_sequence = `hash`", signed by
// the HSM audit key (EC P-256, ECDSA-SHA256), so that someone who can write
// the database still cannot rewrite events up to that point unnoticed.
//
// Signed data (AuditCheckpointSignedData): ASCII text, exactly
//
//   "sejf-audit-checkpoint-v1\n"
//   "sequence=<sequence, decimal, no leading zeros>\n"
//   "hash=<hash_sequence, 64 lower-case hex digits>\n"
//   "time_us=<signing time, microseconds since the Unix epoch, decimal>\n"
//
// The signature is ECDSA over SHA-256 of those bytes, raw r||s (64 bytes;
// hsm::EcdsaRawToDer gives the DER form `openssl dgst -sha256 -verify`
// wants).
//
// Stored checkpoint (EncodeAuditCheckpoint): kind "audit_checkpoints",
// record name AuditSequenceName(sequence), data (big-endian; "str" = u32
// length + bytes):
//
//   offset  size  field
//   0       1     format version: 0x01
//   1       8     sequence: u64
//   9       32    hash_sequence
//   41      8     time: i64 microseconds since the Unix epoch
//   49      str   signature (raw r||s)
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

struct AuditCheckpoint {
  std::int64_t sequence = 0;            // the event covered (and all before it)
  std::string hash = {};                // hash_sequence, 32 bytes
  absl::Time time = absl::UnixEpoch();  // when signed, µs precision
  std::string signature = {};           // raw r||s
  std::string public_key = {};          // the audit key, SPKI DER

  bool operator==(const AuditCheckpoint&) const = default;
};

// The exact bytes the audit key signs for a checkpoint (format above).
std::string AuditCheckpointSignedData(std::int64_t sequence,
                                      absl::string_view hash, absl::Time time);

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
