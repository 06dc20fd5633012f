// One audit event, its canonical encoding and the hash chain over events.
//
// Every RPC of every service, allowed or denied, becomes one AuditEvent
// (audit_log.h appends it). NO SECRET EVER GOES INTO AN EVENT: callers fill
// the fields from names, identifiers and status code names only — never a
// token, PIN, key, signature input or free-form request data. Events are
// kept forever and are readable by anyone allowed `audit.read`.
//
// Canonical encoding (EncodeCanonicalAuditEvent), byte for byte; integers
// are big-endian, "str" is a u32 byte length followed by that many bytes
// (UTF-8 by convention, not checked; may be empty):
//
//   offset  size  field
//   0       1     format version: 0x01, or 0x02 when rule is not empty
//   1       8     sequence: u64, 1, 2, 3, … without gaps
//   9       8     time: i64 microseconds since the Unix epoch, two's
//                 complement
//   17      str   request_id
//           str   identity
//           str   operation
//           str   method
//           str   resource
//           str   context
//           str   outcome
//           str   detail
//           str   rule       (format 0x02 only)
//
// The format follows from the event: an event without a rule is encoded
// exactly as format 1 always was, so events stored before the rule was
// recorded re-encode to their stored bytes and keep verifying; an event with
// a rule is format 2. So each event has exactly one encoding.
//
// Hash chain (ChainAuditHash):
//   hash_0 = 32 zero bytes (the genesis; kAuditHashSize)
//   hash_n = SHA-256(hash_{n-1} || canonical(event_n))
//
// Stored row (EncodeAuditEventRow): kind "audit_events", record name
// AuditSequenceName(n) (the sequence as 20 decimal digits, zero-padded, so
// the storage's byte order is sequence order), data
// canonical(event_n) || hash_n (the last 32 bytes). Storing hash_n in the
// row lets a verifier name exactly the event whose bytes changed.
//
// Thread-safety: a value type and pure functions.
#ifndef SEJF_VAULT_AUDIT_AUDIT_EVENT_H_
#define SEJF_VAULT_AUDIT_AUDIT_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sejf::vault {

inline constexpr absl::string_view kAuditEventKind = "audit_events";
inline constexpr std::size_t kAuditHashSize = 32;
// The format of events without a rule, and of events with one.
inline constexpr std::uint8_t kAuditEventFormat = 1;
inline constexpr std::uint8_t kAuditEventFormatWithRule = 2;

// The outcome of an intent event: written (durably) before a state-changing
// operation acts, with the same request id as the event of its result that
// follows. An intent with no result event means the daemon stopped during
// the operation: the change may or may not have happened.
inline constexpr absl::string_view kAuditOutcomeStarted = "STARTED";

// Limits on the text fields (bytes). Append refuses longer ones with
// INVALID_ARGUMENT, so callers (the RPC adapter) should clip what they do
// not control, e.g. with ClipAuditField.
inline constexpr std::size_t kMaxAuditFieldSize = 1024;
inline constexpr std::size_t kMaxAuditDetailSize = 256;

// Every member has an initializer, so designated initializers may name only
// some (GCC 12 warns otherwise).
struct AuditEvent {
  // Assigned by AuditLog::Append (values passed in are ignored).
  std::int64_t sequence = 0;
  // Assigned by AuditLog::Append: microsecond precision, nondecreasing
  // along the sequence (values passed in are ignored).
  absl::Time time = absl::UnixEpoch();

  std::string request_id = {};  // the RPC's request id
  std::string identity = {};    // the caller ("unix:uid:1000", a cert CN, …)
  std::string operation = {};   // the policy operation, e.g. "auth.xades"
  std::string method = {};      // the full gRPC method name
  std::string resource = {};    // e.g. "keys/acme-auth"; never a secret
  std::string context = {};     // KSeF context text, e.g. "nip:5265877635"
  // Required: an absl/gRPC status code name ("OK", "PERMISSION_DENIED").
  std::string outcome = {};
  // Optional short non-secret detail, at most kMaxAuditDetailSize bytes.
  std::string detail = {};
  // The name of the policy rule that allowed the operation; empty when it
  // was denied or needs no rule.
  std::string rule = {};

  // hash_n (kAuditHashSize raw bytes). Set on events read back from the log;
  // ignored by Append and by the canonical encoding.
  std::string hash = {};

  bool operator==(const AuditEvent&) const = default;
};

// True for the names absl::StatusCodeToString gives the 17 canonical codes
// ("OK", "CANCELLED", …, "UNAUTHENTICATED").
bool IsStatusCodeName(absl::string_view name);

// What an event's outcome may be: a status code name, or
// kAuditOutcomeStarted for an intent event.
bool IsAuditOutcome(absl::string_view name);

// Checks the caller-supplied fields: the size limits above and an outcome
// that IsAuditOutcome. INVALID_ARGUMENT naming the field otherwise.
absl::Status ValidateAuditEvent(const AuditEvent& event);

// `text` cut to at most `max_size` bytes without splitting a UTF-8
// sequence, for fields the caller does not control.
std::string ClipAuditField(absl::string_view text, std::size_t max_size);

// The canonical encoding above (event.hash is not part of it).
std::string EncodeCanonicalAuditEvent(const AuditEvent& event);

// The event back from its canonical encoding (hash left empty). DATA_LOSS
// saying what is wrong when `canonical` is not exactly one valid encoding.
absl::StatusOr<AuditEvent> DecodeCanonicalAuditEvent(
    absl::string_view canonical);

// hash_0: kAuditHashSize zero bytes.
std::string AuditGenesisHash();

// SHA-256(previous_hash || canonical).
std::string ChainAuditHash(absl::string_view previous_hash,
                           absl::string_view canonical);

// The record name of event `sequence`: 20 decimal digits, zero-padded.
std::string AuditSequenceName(std::int64_t sequence);

// The sequence back from a record name (or page token). INVALID_ARGUMENT
// unless `name` is 20 digits naming a positive int64.
absl::StatusOr<std::int64_t> ParseAuditSequenceName(absl::string_view name);

// The stored row: canonical(event) || event.hash. event.hash must be
// kAuditHashSize bytes.
std::string EncodeAuditEventRow(const AuditEvent& event);

// The event (with hash) back from a stored row, and the canonical bytes it
// holds (for rehashing). DATA_LOSS when the row does not parse.
struct DecodedAuditRow {
  AuditEvent event;
  absl::string_view canonical;  // points into the row passed in
};
absl::StatusOr<DecodedAuditRow> DecodeAuditEventRow(absl::string_view row);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_AUDIT_AUDIT_EVENT_H_
