// Client-side types of the KsefSessions API
// (proto/sejf/v1/ksef_sessions.proto): standing KSeF logins kept by sejfd,
// and the short-lived access tokens they hand out.
//
// Plain values; the server judges every field (names, credentials,
// contexts, environments, AllowedIps), the client only carries them.
#ifndef SEJF_CLIENT_SESSION_TYPES_H_
#define SEJF_CLIENT_SESSION_TYPES_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "client/ksef_types.h"
#include "common/secret.h"

namespace sejf::client {

// kUnspecified stands for a value this client does not know.
enum class SessionState { kUnspecified, kActive, kFailing, kClosed };

struct KsefSession {
  // "sessions/{session}".
  std::string name;
  // "keys/{key}" or "tokens/{token}".
  std::string credential;
  std::string context;
  std::string environment;
  AllowedIps allowed_ips;
  SessionState state = SessionState::kUnspecified;
  // KSeF's reference number of the current login ("…-AU-…").
  std::string reference_number;
  // Unset when the server did not say (e.g. a closed session).
  std::optional<absl::Time> access_token_expire_time;
  std::optional<absl::Time> refresh_token_expire_time;
  std::optional<absl::Time> last_refresh_time;
  // The last failure; empty when none. Never a token.
  std::string last_error;
  absl::Time create_time;
  absl::Time update_time;
};

// A session to open.
struct SessionOpening {
  // The {session} part of the new session's name.
  std::string session_id;
  // "keys/{key}" or "tokens/{token}".
  std::string credential;
  std::string context;
  // "test", "demo", "prod" or a configured environment.
  std::string environment;
  AllowedIps allowed_ips;
  // For key logins.
  SubjectIdentifierType subject_identifier_type =
      SubjectIdentifierType::kUnspecified;
};

// GetAccessToken's result. The token is a bearer secret: it lives in wiped
// memory, and the response's copy is wiped by the API.
struct AccessToken {
  SecretBytes token;
  absl::Time valid_until;
};

// Ministry certificates to fetch from an environment's KSeF.
struct MinistryCertificateFetch {
  std::string environment;
  // SHA-256 fingerprints the operator compared with the published values;
  // required when the environment has no trust anchors configured.
  std::vector<std::string> pin_fingerprints;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_SESSION_TYPES_H_
