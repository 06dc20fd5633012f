// The record of a one-time drop-off link (issue 15, docs/dropoff.md): what a
// person with the link may hand over (a KSeF token or a certificate + key),
// under which name and context, until when, and how it went. Stored through
// vault::Storage as kind "dropoffs", record name = the link's id.
//
// Stored format (EncodeDropoffRecord): one JSON object:
//   {"format":1, "target":"token|key", "target_name":"acme-token",
//    "context":"nip:5265877635",      token: its KSeF context; key: may be ""
//    "key_usage":"authentication",    key only; "" lets the import decide
//    "created_by":"admin",            the identity that made the link
//    "state":"pending|used|cancelled|expired|locked",
//    "secret_sha256":"<64 hex>",      SHA-256 of the link's secret; the
//                                     secret itself is never stored
//    "create_time_us":<unix µs>, "expire_time_us":<unix µs>,
//    "attempts":<failed secret checks>,
//    "last_failure_time_us":<unix µs>, absent before the first failure
//    "finish_time_us":<unix µs>}       absent while pending
// Unknown members are ignored on read.
//
// Thread-safety: pure functions and value types.
#ifndef SEJF_VAULT_DROPOFF_DROPOFF_RECORD_H_
#define SEJF_VAULT_DROPOFF_DROPOFF_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sejf::vault {

inline constexpr absl::string_view kDropoffRecordKind = "dropoffs";

// What a link hands over.
enum class DropoffTarget { kToken, kKey };

// pending: usable; used: handed over once (final); cancelled: by `sejf
// dropoff cancel` (final); expired: found past its expiry (final); locked:
// too many wrong secrets (final).
enum class DropoffState { kPending, kUsed, kCancelled, kExpired, kLocked };

// "token", "key"; "pending", "used", "cancelled", "expired", "locked".
absl::string_view DropoffTargetName(DropoffTarget target);
absl::string_view DropoffStateName(DropoffState state);
std::optional<DropoffTarget> DropoffTargetFromName(absl::string_view name);
std::optional<DropoffState> DropoffStateFromName(absl::string_view name);

struct DropoffRecord {
  DropoffTarget target = DropoffTarget::kToken;
  std::string target_name = {};  // credential_name.h rule
  std::string context = {};      // canonical KsefContext text, or ""
  std::string key_usage = {};    // "", "authentication", "offline"
  std::string created_by = {};
  DropoffState state = DropoffState::kPending;
  std::string secret_sha256 = {};  // 32 raw bytes in memory, hex when stored
  absl::Time create_time = absl::InfinitePast();
  absl::Time expire_time = absl::InfinitePast();
  std::int64_t attempts = 0;
  std::optional<absl::Time> last_failure_time = std::nullopt;
  std::optional<absl::Time> finish_time = std::nullopt;

  bool operator==(const DropoffRecord&) const = default;
};

std::string EncodeDropoffRecord(const DropoffRecord& record);

// DATA_LOSS naming the problem when `data` is not a drop-off record this
// version understands.
absl::StatusOr<DropoffRecord> DecodeDropoffRecord(absl::string_view data);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_DROPOFF_DROPOFF_RECORD_H_
