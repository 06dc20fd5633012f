// What sejf asks of one KSeF environment's API (ksef-protocol.md §3, §4.3):
// the authentication flow, KSeF tokens, certificates KSeF issues and the
// Ministry's public-key certificates, as domain values. The wire formats (JSON,
// headers, URLs) live only in the implementation (ksef_http_api.h, on libcurl);
// the broker's sessions and the tests' fakes speak this interface.
//
// Errors (every method): the status codes below, each carrying a KsefError
// payload (ksef_error.h) with what KSeF answered, so callers decide on the
// KSeF code, never on message text:
//   UNAVAILABLE         network error, timeout, HTTP 5xx — after the bounded
//                       retries; KsefError.http_status 0 for no answer.
//                       A call that makes something in KSeF (an
//                       authentication, tokens, a KSeF token, an
//                       enrollment) is sent again only when KSeF cannot have
//                       acted on it; when it may have and its answer was
//                       lost, KsefError.outcome_unknown is set and the
//                       message says what to check (ksef_http_api.h).
//   RESOURCE_EXHAUSTED  HTTP 429 still after the retries; retry_after set.
//   PERMISSION_DENIED   HTTP 401 or 403 (a bearer KSeF refused).
//   FAILED_PRECONDITION HTTP 400 with KSeF exception codes (21111 wrong
//                       challenge, 21301 tokens already redeemed or refresh
//                       not allowed, 21470 unknown public key id, ...), 410.
//   INTERNAL            an answer that does not parse as the documented
//                       shape (names the endpoint and the field, never a
//                       token).
// Arguments: a call that carries a bearer takes it first (the token that
// authorizes the call), then what the call is about.
//
// Messages never contain a bearer token, an encrypted token or a request
// body; they name the endpoint ("POST /auth/ksef-token") and KSeF's codes
// and descriptions.
//
// Thread-safety: implementations are thread-safe.
#ifndef SEJF_BROKER_KSEF_API_KSEF_API_H_
#define SEJF_BROKER_KSEF_API_KSEF_API_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/enrollment_data.h"
#include "common/secret.h"

namespace sejf::broker {

// A bearer token KSeF issued (authentication, access or refresh token: an
// opaque JWT, ksef-protocol.md §3.9) and the end of its validity as KSeF
// states it (TokenInfo.validUntil).
struct KsefBearer {
  SecretBytes token = {};
  absl::Time valid_until = absl::InfinitePast();
};

// 200 of POST /auth/challenge (§3.2).
struct AuthChallenge {
  std::string challenge;      // "20250514-CR-226FB7B000-3ACF9BE4C0-10"
  absl::Time timestamp;       // the instant KSeF issued it
  std::int64_t timestamp_ms;  // the same instant, Unix milliseconds
  std::string client_ip;      // sejfd's address as KSeF sees it
};

// 202 of POST /auth/xades-signature and POST /auth/ksef-token (§3.3, §3.4).
struct AuthInit {
  std::string reference_number;  // "20250514-AU-…", 36 characters
  KsefBearer authentication_token;
};

// 200 of GET /auth/{referenceNumber} (§3.5): status.code 100 (in progress),
// 200 (succeeded) or a failure (415, 425, 450, 460, 470, 480, 500, 550, and
// 400 as the OpenAPI examples show).
struct AuthOperationStatus {
  int code = 0;
  std::string description;
  std::vector<std::string> details;
};

// 200 of POST /auth/token/redeem (§3.6).
struct AuthTokens {
  KsefBearer access_token;
  KsefBearer refresh_token;
};

// One finished call to KSeF (after its retries), for the audit log and
// metrics. Never holds a token or a body.
struct KsefCall {
  std::string endpoint = {};  // "POST /auth/token/refresh" (path template)
  std::string reference_number = {};      // the operation's, when known
  int http_status = 0;                    // the last answer's; 0: none came
  std::vector<int> exception_codes = {};  // KSeF's, from a 400 body
  int attempts = 0;
  absl::Duration duration;
  absl::Status status;           // what the method returned (OK or the error)
  std::string environment = {};  // the environment's name ("test")
  // X-System-Warning headers of the answers ("[sig-001]: …"), for the
  // caller's log (ksef-protocol.md §2).
  std::vector<std::string> system_warnings = {};
};

// ---- KSeF tokens (issue 14; ksef-protocol.md §8) ----

// The body of POST /tokens (GenerateTokenRequest).
struct KsefTokenRequest {
  std::vector<std::string> permissions = {};  // TokenPermissionType names
  std::string description = {};               // 5..256 characters
};

// 202 of POST /tokens: the token, shown once, and its reference number
// ("20251010-EC-1DCE3E3000-12ECB5B36E-45").
struct GeneratedKsefToken {
  std::string reference_number = {};
  SecretBytes token = {};
};

// 200 of GET /tokens/{referenceNumber} (TokenStatusResponse); never holds
// the token itself.
struct KsefTokenStatus {
  std::string reference_number = {};
  // "Pending", "Active", "Revoking", "Revoked" or "Failed"
  // (AuthenticationTokenStatus; another value is a parse error).
  std::string status = {};
  std::string context_type = {};  // contextIdentifier.type ("Nip", …)
  std::string context_value = {};
  std::vector<std::string> permissions = {};  // requestedPermissions
  std::string description = {};
  absl::Time date_created = absl::InfinitePast();
  std::vector<std::string> status_details = {};
};

// ---- Certificates issued by KSeF (ksef-protocol.md §6, §3.8; the wire
// formats in ksef_wire_certificates.h). Every call: Bearer an access token
// of a login with a certificate (XAdES).

// 200 of GET /certificates/limits.
struct CertificateLimits {
  bool can_request = false;
  int enrollment_limit = 0;
  int enrollment_remaining = 0;
  int certificate_limit = 0;
  int certificate_remaining = 0;
};

// The two KSeF certificate types (KsefCertificateType).
enum class KsefCertificateType { kAuthentication, kOffline };

// POST /certificates/enrollments.
struct CertificateEnrollmentRequest {
  std::string certificate_name = {};  // 5–100 characters, KSeF's pattern
  KsefCertificateType type = KsefCertificateType::kAuthentication;
  std::string csr_der = {};  // PKCS#10, DER (sent Base64)
};

// 202 of POST /certificates/enrollments.
struct CertificateEnrollmentAccepted {
  std::string reference_number = {};  // "…-EH-…"
};

// 200 of GET /certificates/enrollments/{ref}: status 100 (accepted), 200
// (issued; serial set), 400 (refused), 500, 550.
struct CertificateEnrollmentStatus {
  int code = 0;
  std::string description = {};
  std::vector<std::string> details = {};
  std::string serial_number = {};  // 16 uppercase hex digits, when issued
};

// One item of POST /certificates/retrieve.
struct RetrievedCertificate {
  std::string der = {};
  std::string name = {};
  std::string serial_number = {};
  KsefCertificateType type = KsefCertificateType::kAuthentication;
};

// One item of POST /certificates/query.
struct CertificateListItem {
  std::string serial_number = {};
  std::string name = {};
  KsefCertificateType type = KsefCertificateType::kAuthentication;
  std::string status = {};  // "Active", "Blocked", "Revoked", "Expired"
  absl::Time valid_from = absl::InfinitePast();
  absl::Time valid_to = absl::InfinitePast();
};

// The body of POST /certificates/query (empty fields: no filter).
struct CertificateQuery {
  std::string serial_number = {};
  std::string status = {};
  int page_size = 50;  // 10..50
  int page_offset = 0;
};

struct CertificatePage {
  std::vector<CertificateListItem> certificates = {};
  bool has_more = false;
};

// revocationReason of POST /certificates/{serial}/revoke.
enum class CertificateRevocationReason {
  kUnspecified,
  kSuperseded,
  kKeyCompromise
};

class KsefApi {
 public:
  virtual ~KsefApi() = default;

  // POST /auth/challenge.
  virtual absl::StatusOr<AuthChallenge> Challenge() = 0;

  // POST /auth/xades-signature with `signed_xml` sent as is (never
  // re-serialised, §11.1), Content-Type application/xml.
  virtual absl::StatusOr<AuthInit> SubmitXadesSignature(
      absl::string_view signed_xml) = 0;

  // POST /auth/ksef-token with `request_json`, the body the token
  // encryptor built (signer/ministry/token_encryption.h).
  virtual absl::StatusOr<AuthInit> SubmitKsefToken(
      absl::string_view request_json) = 0;

  // GET /auth/{reference_number}, Bearer the authentication token.
  virtual absl::StatusOr<AuthOperationStatus> GetAuthStatus(
      const SecretBytes& authentication_token,
      absl::string_view reference_number) = 0;

  // POST /auth/token/redeem, Bearer the authentication token. KSeF answers
  // this once per operation; a lost answer cannot be fetched again.
  virtual absl::StatusOr<AuthTokens> Redeem(
      const SecretBytes& authentication_token) = 0;

  // POST /auth/token/refresh, Bearer the refresh token: a new access token
  // (the refresh token itself is not renewed).
  virtual absl::StatusOr<KsefBearer> Refresh(
      const SecretBytes& refresh_token) = 0;

  // DELETE /auth/sessions/current, Bearer the access or refresh token: the
  // session's refresh token stops working.
  virtual absl::Status CloseCurrentSession(const SecretBytes& bearer) = 0;

  // GET /security/public-key-certificates: the response body as KSeF sent
  // it (the JSON list MinistryCertificateStore::Import parses).
  virtual absl::StatusOr<std::string> PublicKeyCertificates() = 0;

  // ---- KSeF tokens (issue 14), each Bearer an access token ----

  // POST /tokens. KSeF mints a new token every time it acts on this, so a
  // request whose answer was lost is not repeated (UNAVAILABLE: a token may
  // exist in KSeF that nobody received; GET /tokens lists it).
  virtual absl::StatusOr<GeneratedKsefToken> GenerateToken(
      const SecretBytes& access_token, const KsefTokenRequest& request) = 0;

  // GET /tokens/{reference_number}.
  virtual absl::StatusOr<KsefTokenStatus> GetToken(
      const SecretBytes& access_token, absl::string_view reference_number) = 0;

  // DELETE /tokens/{reference_number} (204): KSeF revokes the token.
  virtual absl::Status RevokeToken(const SecretBytes& access_token,
                                   absl::string_view reference_number) = 0;

  // ---- Certificates issued by KSeF (ksef-protocol.md §6.2), each Bearer
  // an access token of a login with a certificate ----

  // GET /certificates/limits.
  virtual absl::StatusOr<CertificateLimits> CertificateLimitsOf(
      const SecretBytes& access_token) = 0;
  // GET /certificates/enrollments/data: the body's fields.
  virtual absl::StatusOr<EnrollmentData> CertificateEnrollmentData(
      const SecretBytes& access_token) = 0;
  // POST /certificates/enrollments: the enrollment's reference number.
  // KSeF starts an enrollment (and counts it against the subject's limit)
  // every time it acts on this, so a request whose answer was lost is not
  // repeated (UNAVAILABLE with KsefError.outcome_unknown: an enrollment may
  // exist in KSeF that nobody learned the reference number of).
  virtual absl::StatusOr<CertificateEnrollmentAccepted> EnrollCertificate(
      const SecretBytes& access_token,
      const CertificateEnrollmentRequest& request) = 0;
  // GET /certificates/enrollments/{reference_number}.
  virtual absl::StatusOr<CertificateEnrollmentStatus> GetCertificateEnrollment(
      const SecretBytes& access_token, absl::string_view reference_number) = 0;
  // POST /certificates/retrieve (1..10 serials).
  virtual absl::StatusOr<std::vector<RetrievedCertificate>>
  RetrieveCertificates(const SecretBytes& access_token,
                       const std::vector<std::string>& serial_numbers) = 0;
  // POST /certificates/{serial_number}/revoke.
  virtual absl::Status RevokeCertificate(
      const SecretBytes& access_token, absl::string_view serial_number,
      CertificateRevocationReason reason) = 0;
  // POST /certificates/query.
  virtual absl::StatusOr<CertificatePage> QueryCertificates(
      const SecretBytes& access_token, const CertificateQuery& query) = 0;
  // DELETE /auth/sessions/{reference_number}, Bearer an access token of the
  // same subject: that session's refresh token stops working.
  virtual absl::Status CloseSession(const SecretBytes& access_token,
                                    absl::string_view reference_number) = 0;
};

// The KSeF API of each configured environment.
class KsefApiDirectory {
 public:
  virtual ~KsefApiDirectory() = default;
  // The API of `environment`; FAILED_PRECONDITION naming the environment
  // and the config key when it has no API address
  // ([ksef.environments.NAME] api_url).
  virtual absl::StatusOr<KsefApi*> For(absl::string_view environment) = 0;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_KSEF_API_KSEF_API_H_
