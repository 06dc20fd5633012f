// The record sejf keeps about a KSeF authorization token: its metadata and
// its secret, sealed (vault/crypto/sealed_record.h). Stored through
// vault::Storage as kind "tokens", record name = the token's name
// (credential_name.h).
//
// Stored format (EncodeTokenRecord): one JSON object:
//   {"format":1, "context":"nip:5265877635",
//    "permissions":["InvoiceRead","InvoiceWrite",…],   KSeF names, sorted
//    "description":"…", "state":"active|disabled|destroyed",
//    "version":1,                 1 at import, +1 per rotation
//    "create_time_us":<unix µs>, "rotate_time_us":<unix µs>,
//    "expire_time_us":<unix µs>,  absent when the token does not expire
//    "ksef_reference":"20251010-EC-…",   KSeF's reference number, absent
//                                 when unknown (issue 14)
//    "ksef_environment":"test",   where it was minted; absent for imports
//    "ksef_status":"Active",      KSeF's status when last seen (Pending,
//                                 Active, Revoking, Revoked, Failed); absent
//                                 when never checked
//    "ksef_status_time_us":<unix µs>,  when it was last seen
//    "sealed":"<Base64 sealed record>"}   absent once destroyed
// The sealed secret is bound to (kind "tokens", the token name, "version"),
// so it opens only in its own row at its own version. Unknown members are
// ignored on read. Nothing in it is plaintext secret.
//
// Thread-safety: pure functions and value types.
#ifndef SEJF_VAULT_RECORDS_TOKEN_RECORD_H_
#define SEJF_VAULT_RECORDS_TOKEN_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/ksef_context.h"
#include "common/secret.h"
#include "vault/records/key_record.h"

namespace sejf::vault {

inline constexpr absl::string_view kTokenRecordKind = "tokens";

// KSeF TokenPermissionType; the proto's TokenPermission in the same order.
enum class TokenPermission {
  kInvoiceRead,
  kInvoiceWrite,
  kCredentialsRead,
  kCredentialsManage,
  kSubunitManage,
  kEnforcementOperations,
  kIntrospection,
  kCollectiveIdentifierManage,  // KSeF 2.7.0
};

// The KSeF names: "InvoiceRead", ..., "CollectiveIdentifierManage".
absl::string_view TokenPermissionName(TokenPermission permission);
// From a KSeF name (exact case); nullopt when unknown.
std::optional<TokenPermission> TokenPermissionFromName(absl::string_view name);

// Secret: printable ASCII without whitespace (0x21..0x7E), 1 to
// kMaxTokenSecretSize characters (KSeF's maximum).
inline constexpr std::size_t kMaxTokenSecretSize = 160;
// Description: at most this many bytes of UTF-8, no control characters.
inline constexpr std::size_t kMaxTokenDescriptionSize = 256;

// OK when `secret` follows the rule; otherwise INVALID_ARGUMENT naming
// `field` and saying what is wrong (its length, or the position of the first
// bad character and what kind it is) — never any character of the secret.
absl::Status ValidateTokenSecret(const SecretBytes& secret,
                                 absl::string_view field);

// The KSeF context of a token: ParseKsefContext, then only "nip:" and
// "internal-id:" are accepted (KSeF issues tokens only in those contexts).
// INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<KsefContext> ParseTokenContext(absl::string_view text,
                                              absl::string_view field);

// OK when `description` is valid UTF-8 of at most kMaxTokenDescriptionSize
// bytes without control characters (C0, DEL, C1); INVALID_ARGUMENT naming
// `field` otherwise.
absl::Status ValidateTokenDescription(absl::string_view description,
                                      absl::string_view field);

// `permissions` sorted and without duplicates.
std::vector<TokenPermission> NormalizePermissions(
    std::vector<TokenPermission> permissions);

// The reference number a KSeF token carries as its first '|'-separated
// segment ("20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-…|…",
// ksef-protocol.md §4.1); "" when the token has no such segment.
std::string KsefTokenReferenceOf(const SecretBytes& secret);

// Whether a KSeF status ("Pending", "Revoked", …) forbids logins with the
// token: anything but "" (never checked) and "Active".
bool KsefStatusForbidsUse(absl::string_view ksef_status);

struct TokenRecord {
  std::string context = {};  // canonical text form, e.g. "nip:5265877635"
  std::vector<TokenPermission> permissions = {};  // sorted, unique
  std::string description = {};
  CredentialState state = CredentialState::kActive;
  std::int64_t version = 1;
  absl::Time create_time = absl::InfinitePast();
  absl::Time rotate_time = absl::InfinitePast();  // = create_time at import
  std::optional<absl::Time> expire_time = std::nullopt;
  // The sealed secret (sealed_record.h), empty once destroyed.
  std::string sealed_secret = {};
  // KSeF's view (issue 14; docs/lifecycle-tokens.md): the token's
  // reference number ("" when unknown), the environment it was minted in
  // ("" for an import), and its status there when last checked.
  std::string ksef_reference = {};
  std::string ksef_environment = {};
  std::string ksef_status = {};  // "" when never checked
  std::optional<absl::Time> ksef_status_time = std::nullopt;

  bool operator==(const TokenRecord&) const = default;
};

std::string EncodeTokenRecord(const TokenRecord& record);

// DATA_LOSS naming the problem when `data` is not a token record this
// version understands (corrupt JSON, a missing member, a bad value, another
// format number).
absl::StatusOr<TokenRecord> DecodeTokenRecord(absl::string_view data);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_RECORDS_TOKEN_RECORD_H_
