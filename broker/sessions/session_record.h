// The record sejf keeps about a standing KSeF session (broker/sessions/
// ksef_sessions.h): what it logs in with, where, its state, and the access
// and refresh tokens KSeF issued, sealed (vault/crypto/sealed_record.h).
// Stored through vault::Storage as kind "ksef_sessions", record name = the
// session's name (vault/records/credential_name.h rule).
//
// Stored format (EncodeSessionRecord): one JSON object:
//   {"format":1,
//    "credential_kind":"key|token", "credential_name":"acme-auth",
//    "context":"nip:5265877635", "environment":"test",
//    "allowed_ips":{"ip4_addresses":[…],"ip4_ranges":[…],"ip4_masks":[…]},
//                                  absent when there is none
//    "subject_type":"certificateSubject|certificateFingerprint",
//                                  key sessions only (XAdES
//                                  SubjectIdentifierType)
//    "state":"active|failing|closed",
//    "reference_number":"20250514-AU-…",  the KSeF authentication operation
//                                  of the current login; absent before one
//    "key_certificate_sha256":"<uppercase hex>",  key sessions: the
//                                  certificate the current login signed
//                                  with (which key version); absent before
//                                  one, and in records written before it
//    "generation":3,               +1 each time a token is sealed anew
//    "access_sealed":"<Base64 sealed record>", "access_valid_until_us":<µs>,
//    "refresh_sealed":"<Base64 sealed record>", "refresh_valid_until_us":<µs>,
//                                  the four absent once closed
//    "login_time_us":<µs>,         the last successful login (redeem)
//    "last_refresh_time_us":<µs>,  the last successful refresh; absent
//                                  before one
//    "last_error":{"code":"UNAVAILABLE","text":"…","time_us":<µs>},
//                                  the last failed renewal; absent when the
//                                  last one succeeded
//    "create_time_us":<µs>, "update_time_us":<µs>}
// Times are Unix microseconds. The access token is sealed for the place
// (kind "ksef_sessions", id "<name>/access", version = generation), the
// refresh token for (kind "ksef_sessions", id "<name>/refresh", version =
// generation): neither opens in another row, as the other token, or from an
// older generation. Unknown members are ignored on read. Nothing in it is a
// plaintext secret; last_error.text is built from KSeF's codes and
// descriptions, never from a token.
//
// Thread-safety: pure functions and value types.
#ifndef SEJF_BROKER_SESSIONS_SESSION_RECORD_H_
#define SEJF_BROKER_SESSIONS_SESSION_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "signer/ksef/allowed_ips.h"
#include "signer/ksef/auth_token_request.h"

namespace sejf::broker {

inline constexpr absl::string_view kSessionRecordKind = "ksef_sessions";

// What a session logs in with: a key in custody (XAdES) or a stored KSeF
// token (POST /auth/ksef-token).
enum class SessionCredentialKind { kKey, kToken };
// "key", "token".
absl::string_view SessionCredentialKindName(SessionCredentialKind kind);
std::optional<SessionCredentialKind> SessionCredentialKindFromName(
    absl::string_view name);

// active: logged in (its tokens are renewed on demand); failing: the last
// refresh or login failed (last_error says why; the next GetAccessToken
// tries again); closed: closed by Close, its tokens destroyed.
enum class SessionState { kActive, kFailing, kClosed };
// "active", "failing", "closed".
absl::string_view SessionStateName(SessionState state);
std::optional<SessionState> SessionStateFromName(absl::string_view name);

// The last failed renewal of a session: a status code name and a message
// without secrets.
struct SessionError {
  std::string code = {};  // "UNAVAILABLE", "FAILED_PRECONDITION", …
  std::string text = {};
  absl::Time time = absl::InfinitePast();
  bool operator==(const SessionError&) const = default;
};

// A sealed KSeF token and the end of its validity (KSeF's validUntil).
struct SealedBearer {
  std::string sealed = {};  // vault::Seal output (binary)
  absl::Time valid_until = absl::InfinitePast();
  bool operator==(const SealedBearer&) const = default;
};

struct SessionRecord {
  SessionCredentialKind credential_kind = SessionCredentialKind::kKey;
  std::string credential_name = {};
  std::string context = {};  // canonical text form, "nip:5265877635"
  std::string environment = {};
  signer::AllowedIps allowed_ips = {};
  signer::SubjectIdentifierType subject_type =
      signer::SubjectIdentifierType::kCertificateSubject;
  SessionState state = SessionState::kActive;
  std::string reference_number = {};
  std::string key_certificate_sha256 = {};
  std::int64_t generation = 0;
  std::optional<SealedBearer> access = std::nullopt;   // absent once closed
  std::optional<SealedBearer> refresh = std::nullopt;  // absent once closed
  std::optional<absl::Time> login_time = std::nullopt;
  std::optional<absl::Time> last_refresh_time = std::nullopt;
  std::optional<SessionError> last_error = std::nullopt;
  absl::Time create_time = absl::InfinitePast();
  absl::Time update_time = absl::InfinitePast();

  bool operator==(const SessionRecord&) const = default;
};

// The sealed places of a session's two tokens (see above).
std::string AccessTokenPlaceId(absl::string_view session_name);
std::string RefreshTokenPlaceId(absl::string_view session_name);

std::string EncodeSessionRecord(const SessionRecord& record);

// DATA_LOSS naming the problem when `data` is not a session record this
// version understands (corrupt JSON, a missing member, a bad value, another
// format number, an active or failing session without both sealed
// tokens).
absl::StatusOr<SessionRecord> DecodeSessionRecord(absl::string_view data);

}  // namespace sejf::broker

#endif  // SEJF_BROKER_SESSIONS_SESSION_RECORD_H_
