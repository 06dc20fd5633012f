// For tests only: a KsefApi that behaves like KSeF's authentication API
// (ksef-protocol.md §3, §4) in memory, checking what KSeF checks with code
// of its own:
//   - challenges dated by the clock, each usable once (400 21111 otherwise);
//   - XAdES submissions kept (for xmlsec1 in the test) and required to
//     carry a known challenge;
//   - KSeF-token submissions decrypted with the fake's own Ministry private
//     keys (OpenSSL RSA-OAEP SHA-256 calls here, not sejf's encryptor); an
//     unknown publicKeyId is 400 21470; a plaintext other than
//     "<token>|<timestampMs>" ends the operation with status 450;
//   - the operation's status runs through a script (default 100 → 200);
//   - redeem once (21301 after), refresh until the refresh token expires or
//     the session is closed (21301 after), DELETE /auth/sessions/current
//     ends the session the bearer belongs to;
//   - any endpoint can be made to fail next with a given status (Inject).
// Counts every call per endpoint. Errors carry a KsefError like the real
// client's (ksef_api.h).
//
// Thread-safety: thread-safe.
#ifndef SEJF_BROKER_SESSIONS_TESTING_FAKE_KSEF_API_H_
#define SEJF_BROKER_SESSIONS_TESTING_FAKE_KSEF_API_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/ksef_api/ksef_api.h"
#include "common/clock.h"

namespace sejf::broker::testing {

// Endpoint names (the KsefCall endpoint strings).
inline constexpr char kChallenge[] = "POST /auth/challenge";
inline constexpr char kXades[] = "POST /auth/xades-signature";
inline constexpr char kKsefToken[] = "POST /auth/ksef-token";
inline constexpr char kAuthStatus[] = "GET /auth/{referenceNumber}";
inline constexpr char kRedeem[] = "POST /auth/token/redeem";
inline constexpr char kRefresh[] = "POST /auth/token/refresh";
inline constexpr char kCloseSession[] = "DELETE /auth/sessions/current";
inline constexpr char kPublicKeys[] = "GET /security/public-key-certificates";
// KSeF tokens (issue 14; fake_ksef_api_tokens.cc).
inline constexpr char kGenerateToken[] = "POST /tokens";
inline constexpr char kGetToken[] = "GET /tokens/{referenceNumber}";
inline constexpr char kRevokeToken[] = "DELETE /tokens/{referenceNumber}";
// Certificates (fake_ksef_api_certificates.cc).
inline constexpr char kCertLimits[] = "GET /certificates/limits";
inline constexpr char kCertData[] = "GET /certificates/enrollments/data";
inline constexpr char kCertEnroll[] = "POST /certificates/enrollments";
inline constexpr char kCertEnrollStatus[] =
    "GET /certificates/enrollments/{referenceNumber}";
inline constexpr char kCertRetrieve[] = "POST /certificates/retrieve";
inline constexpr char kCertRevoke[] =
    "POST /certificates/{certificateSerialNumber}/revoke";
inline constexpr char kCertQuery[] = "POST /certificates/query";
inline constexpr char kCloseSessionByRef[] =
    "DELETE /auth/sessions/{referenceNumber}";

// The status the real client returns for a KSeF answer: HTTP 400 with
// exception `code` → FAILED_PRECONDITION, 401/403 → PERMISSION_DENIED, 429
// → RESOURCE_EXHAUSTED with `retry_after`, 5xx and 0 → UNAVAILABLE, each
// with its KsefError (503 with a `retry_after` keeps it; 0 and other 5xx of
// an endpoint that makes something in KSeF set outcome_unknown).
absl::Status KsefHttpError(absl::string_view endpoint, int http_status,
                           std::vector<int> codes = {},
                           absl::Duration retry_after = absl::ZeroDuration());

class FakeKsefApi final : public KsefApi {
 public:
  // A Ministry key the fake decrypts with.
  struct MinistryKey {
    std::string public_key_id;    // Base64 SHA-256 of the SPKI DER
    std::string private_key_pem;  // PKCS#8
  };

  explicit FakeKsefApi(const Clock* clock);
  ~FakeKsefApi() override;

  // Lifetimes of what redeem and refresh issue.
  void SetLifetimes(absl::Duration access, absl::Duration refresh);
  // The statuses GET /auth/{ref} answers for the next operations, in turn
  // (the last one repeats). Default {100, 200}.
  void SetStatusScript(std::vector<int> codes);
  // The script of the next operation only (queued; later ones use the
  // script above).
  void QueueStatusScript(std::vector<int> codes);
  // The details of a failure status in the script.
  void SetStatusDetail(std::string description, std::vector<std::string>);
  // The KSeF tokens the fake accepts, and the Ministry keys it decrypts
  // with; `certificate_list` is what GET /security/public-key-certificates
  // returns.
  void AcceptKsefToken(std::string token);
  void SetMinistryKeys(std::vector<MinistryKey> keys,
                       std::string certificate_list);
  // The next `times` calls of `endpoint` fail with `status`.
  void Inject(absl::string_view endpoint, absl::Status status, int times = 1);
  // Called inside Refresh, before it answers (tests hold it there).
  void OnRefresh(std::function<void()> hook);

  // Calls of `endpoint` so far.
  int Calls(absl::string_view endpoint) const;
  // Every XAdES document submitted, and every token plaintext decrypted.
  std::vector<std::string> SubmittedXades() const;
  std::vector<std::string> DecryptedTokens() const;
  // Every token issued (authentication, access, refresh), for canaries.
  std::vector<std::string> IssuedTokens() const;
  // Ends every session in KSeF (as a user revoking them in the portal).
  void RevokeAllSessions();

  absl::StatusOr<AuthChallenge> Challenge() override;
  absl::StatusOr<AuthInit> SubmitXadesSignature(
      absl::string_view signed_xml) override;
  absl::StatusOr<AuthInit> SubmitKsefToken(
      absl::string_view request_json) override;
  absl::StatusOr<AuthOperationStatus> GetAuthStatus(
      const SecretBytes& authentication_token,
      absl::string_view reference_number) override;
  absl::StatusOr<AuthTokens> Redeem(
      const SecretBytes& authentication_token) override;
  absl::StatusOr<KsefBearer> Refresh(const SecretBytes& refresh_token) override;
  absl::Status CloseCurrentSession(const SecretBytes& bearer) override;
  absl::StatusOr<std::string> PublicKeyCertificates() override;

  // ---- KSeF tokens (issue 14; fake_ksef_api_tokens.cc) ----
  // POST /tokens needs a live access token; the token it mints is
  // "<ref>|<context>|<64 hex>" (as KSeF's), accepted by SubmitKsefToken
  // once Active, and starts Pending for `pending_polls` GETs (default 1).
  // GET/DELETE answer 400 21405 for an unknown reference.
  void SetTokenContext(std::string type, std::string value);
  void SetTokenPendingPolls(int polls);
  // KSeF's status of a minted token changed from outside (the portal).
  void SetTokenStatus(absl::string_view reference, std::string status);
  // The secret minted under `reference` (for a test's canary search).
  std::string MintedToken(absl::string_view reference) const;
  absl::StatusOr<GeneratedKsefToken> GenerateToken(
      const SecretBytes& access_token,
      const KsefTokenRequest& request) override;
  absl::StatusOr<KsefTokenStatus> GetToken(
      const SecretBytes& access_token,
      absl::string_view reference_number) override;
  absl::Status RevokeToken(const SecretBytes& access_token,
                           absl::string_view reference_number) override;

  // ---- Certificates (fake_ksef_api_certificates.cc): enrollments checked
  // with OpenSSL calls of the fake's own (the CSR's signature, its subject
  // equal to the enrollment data), certificates issued by the fake's CA
  // (keyUsage digitalSignature or nonRepudiation by type), limits counted,
  // revocation and the status query. Bearer: an access token it issued.
  struct CertificateFakeState;
  void SetEnrollmentData(EnrollmentData data);
  void SetCertificateLimits(int enrollments, int certificates);
  // GET /certificates/enrollments/{ref} answers 100 this many times first.
  void SetEnrollmentPendingPolls(int polls);
  // The fake CA's certificate, PEM.
  std::string CertificateAuthorityPem();
  // Serial numbers revoked, and reference numbers closed by DELETE
  // /auth/sessions/{ref}, in order.
  std::vector<std::string> RevokedSerials() const;
  std::vector<std::string> ClosedSessionReferences() const;
  absl::StatusOr<CertificateLimits> CertificateLimitsOf(
      const SecretBytes& access_token) override;
  absl::StatusOr<EnrollmentData> CertificateEnrollmentData(
      const SecretBytes& access_token) override;
  absl::StatusOr<CertificateEnrollmentAccepted> EnrollCertificate(
      const SecretBytes& access_token,
      const CertificateEnrollmentRequest& request) override;
  absl::StatusOr<CertificateEnrollmentStatus> GetCertificateEnrollment(
      const SecretBytes& access_token,
      absl::string_view reference_number) override;
  absl::StatusOr<std::vector<RetrievedCertificate>> RetrieveCertificates(
      const SecretBytes& access_token,
      const std::vector<std::string>& serial_numbers) override;
  absl::Status RevokeCertificate(const SecretBytes& access_token,
                                 absl::string_view serial_number,
                                 CertificateRevocationReason reason) override;
  absl::StatusOr<CertificatePage> QueryCertificates(
      const SecretBytes& access_token, const CertificateQuery& query) override;
  absl::Status CloseSession(const SecretBytes& access_token,
                            absl::string_view reference_number) override;

 private:
  struct MintedKsefToken {
    std::string reference;
    std::string secret;
    KsefTokenRequest request;
    std::string status;
    int polls_left = 0;
    absl::Time created;
  };
  // OK when `bearer` is a live access token; 401 as `endpoint` otherwise.
  absl::Status CheckAccess(absl::string_view endpoint,
                           const SecretBytes& bearer) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::map<std::string, MintedKsefToken, std::less<>> minted_
      ABSL_GUARDED_BY(mu_);
  std::string token_context_type_ ABSL_GUARDED_BY(mu_) = "Nip";
  std::string token_context_value_ ABSL_GUARDED_BY(mu_) = "5265877635";
  int token_pending_polls_ ABSL_GUARDED_BY(mu_) = 1;
  // The certificate state (created on first use); the caller holds mu_.
  CertificateFakeState& Certs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Enter(endpoint) (injected failures), then OK when `access` is an
  // access token the fake issued, unexpired.
  absl::Status EnterWithAccess(absl::string_view endpoint,
                               const SecretBytes& access)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<CertificateFakeState> certs_ ABSL_GUARDED_BY(mu_);

  struct Operation {
    std::string reference;
    std::string auth_token;
    std::vector<int> script;
    std::size_t polls = 0;
    bool succeeded = false;
    bool redeemed = false;
    int forced_status = 0;  // 450 for a token that did not decrypt right
  };
  struct Session {
    std::string refresh_token;
    absl::Time refresh_until;
    bool closed = false;
  };

  // Counts the call; the injected failure for it, if any.
  absl::Status Enter(absl::string_view endpoint)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewToken(absl::string_view kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks and consumes `challenge`.
  absl::Status UseChallenge(absl::string_view endpoint,
                            absl::string_view challenge)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  AuthInit StartOperation(int forced_status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;
  mutable absl::Mutex mu_;
  int counter_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration access_lifetime_ ABSL_GUARDED_BY(mu_) = absl::Minutes(15);
  absl::Duration refresh_lifetime_ ABSL_GUARDED_BY(mu_) = absl::Hours(24 * 7);
  std::vector<int> script_ ABSL_GUARDED_BY(mu_) = {100, 200};
  std::deque<std::vector<int>> queued_scripts_ ABSL_GUARDED_BY(mu_);
  std::string status_description_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> status_details_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> accepted_tokens_ ABSL_GUARDED_BY(mu_);
  std::vector<MinistryKey> ministry_keys_ ABSL_GUARDED_BY(mu_);
  std::string certificate_list_ ABSL_GUARDED_BY(mu_) = "[]";
  std::map<std::string, std::deque<absl::Status>, std::less<>> injected_
      ABSL_GUARDED_BY(mu_);
  std::function<void()> on_refresh_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int, std::less<>> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::int64_t, std::less<>> challenges_
      ABSL_GUARDED_BY(mu_);  // unused challenge → timestampMs
  std::vector<Operation> operations_ ABSL_GUARDED_BY(mu_);
  std::vector<Session> sessions_ ABSL_GUARDED_BY(mu_);
  // access token → (session index, valid until)
  std::map<std::string, std::pair<std::size_t, absl::Time>> access_tokens_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::string> xades_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> decrypted_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> issued_ ABSL_GUARDED_BY(mu_);
};

// Environment name → API; FAILED_PRECONDITION for any other name, as the
// real directory answers an environment without api_url.
class FakeKsefApiDirectory final : public KsefApiDirectory {
 public:
  void Add(std::string environment, KsefApi* api) {
    apis_[std::move(environment)] = api;
  }
  absl::StatusOr<KsefApi*> For(absl::string_view environment) override;

 private:
  std::map<std::string, KsefApi*, std::less<>> apis_;
};

}  // namespace sejf::broker::testing

#endif  // SEJF_BROKER_SESSIONS_TESTING_FAKE_KSEF_API_H_
