// Export of signed checkpoints to an append-only file, one JSON object per
// line, for write-once (WORM) storage outside sejfd's reach
// ([audit] checkpoint_export_file; AuditLogOptions).
//
// Line format (AuditCheckpointJson), keys in this order, hex in lower case:
//
//   {"sequence":1000,"hash":"<64 hex>","time_us":1764000000000000,
//    "format":2,"previous_sequence":0,"previous_digest":"<64 hex>",
//    "digest":"<64 hex: AuditCheckpointDigest>","signature":"<128 hex: r||s>",
//    "public_key":"<hex DER SubjectPublicKeyInfo>"}
//
// on one line. "sequence:hash" of any line is what `sejf audit verify
// --expect` takes; the signature verifies with `openssl dgst -sha256
// -verify` over the signed text of audit_checkpoint.h.
//
// Thread-safety: functions; concurrent appends to one file are not
// serialised (the audit log's writer is the only caller).
#ifndef SEJF_VAULT_AUDIT_AUDIT_CHECKPOINT_EXPORT_H_
#define SEJF_VAULT_AUDIT_AUDIT_CHECKPOINT_EXPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "vault/audit/audit_checkpoint.h"

namespace sejf::vault {

// One line (without the newline).
std::string AuditCheckpointJson(const AuditCheckpoint& checkpoint);

// Checks that `path` can be opened for appending (creating it, mode 0640).
// FAILED_PRECONDITION naming the path and the reason otherwise.
absl::Status CheckCheckpointExportFile(const std::string& path);

// Appends one line per checkpoint to `path` and fsyncs it. On error
// (FAILED_PRECONDITION / UNAVAILABLE naming the path) some lines may have
// been written; the caller retries the whole batch, so a line can repeat.
absl::Status AppendCheckpointsToFile(
    const std::string& path, const std::vector<AuditCheckpoint>& checkpoints);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_AUDIT_AUDIT_CHECKPOINT_EXPORT_H_
