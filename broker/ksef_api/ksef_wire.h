// KSeF's wire formats for the endpoints KsefHttpApi calls — the one place
// that knows their JSON (ksef-protocol.md §2, §3, §4.3; the shapes of
// shared/ksef/open-api.json, API 2.6/2.7):
//   200 POST /auth/challenge       {challenge, timestamp, timestampMs,
//   clientIp} 202 POST /auth/xades-signature, /auth/ksef-token
//                                  {referenceNumber, authenticationToken:
//                                   {token, validUntil}}
//   200 GET /auth/{ref}            {status: {code, description, details?}, …}
//   200 POST /auth/token/redeem    {accessToken: TokenInfo, refreshToken:
//   TokenInfo} 200 POST /auth/token/refresh   {accessToken: TokenInfo} 200 GET
//   /security/public-key-certificates   [PublicKeyCertificate, …]
// and the error bodies:
//   legacy 400  {"exception": {"exceptionDetailList": [{"exceptionCode",
//               "exceptionDescription", "details": [..]}], "referenceNumber",
//               …}}
//   problem+json (always 401/403/410; 400/429 on request) {title, status,
//               detail, errors?: [{code, description, details}], reasonCode?}
//   legacy 429  {"status": {"code": 429, "description", "details": [..]}}
//
// Bodies are parsed in zeroing memory (a JSON type whose strings and
// containers use ZeroingAllocator), so a token leaves the body only into a
// SecretBytes. Parse errors name the field, never a value: nlohmann's own
// messages quote the text last read and are never used. One residue is
// outside our reach: nlohmann's lexer keeps the raw text of the token it is
// reading in a std::vector<char> (for its error messages) that is freed
// unwiped.
//
// Thread-safety: pure functions.
#ifndef SEJF_BROKER_KSEF_API_KSEF_WIRE_H_
#define SEJF_BROKER_KSEF_API_KSEF_WIRE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/ksef_api/ksef_api.h"
#include "common/secret.h"

namespace sejf::broker::wire {

// Each returns INVALID_ARGUMENT naming what does not match the documented
// shape ("field \"accessToken.validUntil\" is missing or not a date-time");
// the caller turns it into INTERNAL naming the endpoint.
absl::StatusOr<AuthChallenge> ParseChallenge(const SecretBytes& body);
absl::StatusOr<AuthInit> ParseAuthInit(const SecretBytes& body);
absl::StatusOr<AuthOperationStatus> ParseAuthStatus(const SecretBytes& body);
absl::StatusOr<AuthTokens> ParseAuthTokens(const SecretBytes& body);
absl::StatusOr<KsefBearer> ParseRefresh(const SecretBytes& body);
// The body when it is a JSON array (of certificates; their fields are
// MinistryCertificateStore's to check).
absl::StatusOr<std::string> ParsePublicKeyCertificates(const SecretBytes& body);

// What an error answer says, from any of the error bodies above.
struct ErrorBody {
  std::vector<int> codes;  // exceptionCode / errors[].code
  // KSeF's words, bounded: "21301 Brak autoryzacji. (Tokeny dla operacji …
  // zostały już pobrane.)", "Forbidden: … [ip-not-allowed]"; empty when
  // the body is not one of the shapes.
  std::string text;
};
ErrorBody ParseErrorBody(const SecretBytes& body);

// Retry-After as KSeF sends it: whole seconds (0..86400). nullopt for an
// absent or other value (an HTTP date is not used by KSeF).
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value);

}  // namespace sejf::broker::wire

#endif  // SEJF_BROKER_KSEF_API_KSEF_WIRE_H_
