// Client-side types of the AuditLog API (proto/sejf/v1/audit_log.proto).
#ifndef SEJF_CLIENT_AUDIT_TYPES_H_
#define SEJF_CLIENT_AUDIT_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "client/common_types.h"

namespace sejf::client {

// One event of the hash-chained log (docs/audit.md says what each field
// holds); never a secret.
struct AuditEvent {
  // 1, 2, 3, … without gaps.
  std::int64_t sequence = 0;
  absl::Time time;
  std::string request_id;
  std::string identity;
  // The policy operation ("auth.xades"), or the RPC method when it has none.
  std::string operation;
  // The full gRPC method, e.g. "/sejf.v1.KsefAuth/SignAuthTokenRequest".
  std::string method;
  std::string resource;
  std::string context;
  // The gRPC status code name, or "STARTED" for an intent event.
  std::string outcome;
  // Hex.
  std::string hash;
  std::string detail;
  // The policy rule that allowed the operation; empty when denied or none.
  std::string rule;
};

// Which events ListEvents returns; unset / empty means any.
struct AuditFilter {
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
  std::string identity;
  std::string operation;
  std::string outcome;
};

// An event an operator recorded earlier (a verification's head): the log
// must still hold event `sequence` with hash `hash` (64 hex digits).
struct ChainHead {
  std::int64_t sequence = 0;
  std::string hash;
};

// VerifyChain's result.
struct ChainVerification {
  // True when every hash and checkpoint signature holds.
  bool ok = false;
  std::int64_t events_checked = 0;
  std::int64_t checkpoints_checked = 0;
  // The first sequence that does not verify (0 when ok).
  std::int64_t first_bad_sequence = 0;
  std::string message;
  // The last event that verified: pass as ChainHead later.
  ChainHead head;
  // Whether the HSM holds an anchor, and the event it records.
  bool anchored = false;
  std::int64_t anchored_sequence = 0;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_AUDIT_TYPES_H_
