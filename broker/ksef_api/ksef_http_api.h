// KsefApi over HTTPS: one KSeF environment's API on libcurl
// (curl_transport.h) with KSeF's wire formats (ksef_wire.h).
//
// Requests: JSON (Accept: application/json) except POST
// /auth/xades-signature (Content-Type: application/xml, the signed document
// byte for byte); bearers as "Authorization: Bearer …".
//
// Answers → status (every error carries a KsefError, see ksef_api.h):
//   2xx              parsed; a body that does not have the documented shape
//                    → INTERNAL naming the endpoint and the field
//   400, 410, other 4xx → FAILED_PRECONDITION with KSeF's codes and words
//   401, 403         → PERMISSION_DENIED (problem+json title, detail, reason)
//   429, 503 with Retry-After → retried after Retry-After while attempts
//                    remain and Retry-After ≤ max_retry_after (KSeF says it
//                    did not act on the request); then RESOURCE_EXHAUSTED
//                    (429; retry_after set, the backoff when absent) or
//                    UNAVAILABLE (503; retry_after set). A 503 whose wait is
//                    refused or whose attempts ran out is treated as any
//                    other 5xx by an endpoint that makes nothing.
//   other 5xx, no answer → retried with exponential backoff (full jitter
//                    between half and all of min(backoff_cap,
//                    backoff_base·2^(n-1))), unless the endpoint makes
//                    something in KSeF (below); then UNAVAILABLE
//   TLS refusal      → UNAVAILABLE at once (retrying cannot help)
//   bad arguments    → INVALID_ARGUMENT, nothing sent (an empty body, a
//                    reference number not of 36 letters, digits and '-', a
//                    bearer that is not a printable token)
// Every attempt first waits for its slot of max_requests_per_second (a
// slot further away than `timeout` → RESOURCE_EXHAUSTED, nothing sent).
// X-System-Warning headers of every answer go to KsefCall.system_warnings
// (for the caller's log). A call takes at most max_attempts × timeout plus
// the waits between attempts (each ≤ max(backoff_cap, max_retry_after)).
//
// Which calls are sent again once KSeF may have acted on them — one rule per
// endpoint (Endpoint::repeat below), applied in Send for every call:
//   kIdempotent — reads (GET /auth/{ref}, /security/public-key-certificates,
//     /tokens/{ref}, /certificates/limits, /certificates/enrollments/data,
//     /certificates/enrollments/{ref}; POST /certificates/retrieve and
//     /certificates/query), POST /auth/challenge (a lost answer leaves an
//     unused challenge that expires in 10 minutes) and POST
//     /auth/token/refresh (answered any number of times, the refresh token
//     not rotated): retried after timeouts, lost answers and 5xx.
//   kSameEffect — revocations and closes (DELETE /auth/sessions/current,
//     DELETE /auth/sessions/{ref}, DELETE /tokens/{ref}, POST
//     /certificates/{sn}/revoke): a repeat has the first one's effect and
//     makes nothing, so they are retried; but an error answer that follows
//     an attempt KSeF may have acted on ("already revoked", a bearer no
//     longer accepted) may be the first attempt's success and is reported
//     as UNAVAILABLE (KsefError keeps KSeF's codes).
//   kMakesSomething — POST /auth/xades-signature and /auth/ksef-token (an
//     authentication operation), POST /auth/token/redeem (KSeF hands out an
//     authentication's tokens once), POST /tokens (a KSeF token, shown once)
//     and POST /certificates/enrollments (an enrollment, counted against the
//     subject's limits): a repeat would make a second one, or meet the first
//     one's refusal. Such a request travels alone on a fresh connection (no
//     libcurl resend on a reused connection that died) and is sent again
//     only when KSeF cannot have acted on it: no connection could be made
//     (refused, DNS, TLS handshake), or KSeF answered 429, or 503 with
//     Retry-After. After a timeout or a connection broken once the request
//     may have left, or another 5xx, it is UNAVAILABLE at once with
//     KsefError.outcome_unknown set and a message saying what KSeF may have
//     made and what to check (the endpoint's `lost_answer`); a 2xx whose
//     body does not parse is INTERNAL with outcome_unknown likewise.
//
// Secrets: bearer tokens arrive and leave in SecretBytes (see
// curl_transport.h for libcurl's copies); no message, KsefCall or log line
// holds a token or a body — KSeF's error text is scrubbed of the bearer the
// call used. Errors are prefixed "KSeF <environment> <METHOD /path>: ".
//
// Thread-safety: thread-safe (KsefApi's contract); the observer may be called
// from several threads at once.
#ifndef SEJF_BROKER_KSEF_API_KSEF_HTTP_API_H_
#define SEJF_BROKER_KSEF_API_KSEF_HTTP_API_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/ksef_api/ksef_api.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/ksef_api/request_pacer.h"
#include "common/secret.h"

namespace sejf::broker {

class CurlTransport;
struct HttpAnswer;
struct HttpRequest;

// Told of every finished call (after its retries), for audit and metrics.
// Must not block for long; must be thread-safe.
using KsefCallObserver = std::function<void(const KsefCall&)>;

struct KsefHttpApiSettings {
  std::string environment;  // its name, for messages and KsefCall ("test")
  std::string base_url;     // NormalizeKsefApiUrl's rule (ksef_api_url.h)
  // A PEM file of extra trust anchors for the API's TLS certificate (a local
  // emulator, a TLS-inspecting proxy), trusted together with the system
  // store; empty: the system store alone.
  std::string ca_file = {};
  // The system store's bundle that is read together with ca_file; empty:
  // libcurl's built-in bundle (CurlDefaultCaBundle). A missing bundle leaves
  // ca_file and libcurl's CA directory. Tests point it elsewhere.
  std::string system_ca_file = {};
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(30);  // per attempt, whole exchange
  int max_attempts = 3;                        // ≥ 1
  absl::Duration backoff_base = absl::Milliseconds(500);
  absl::Duration backoff_cap = absl::Seconds(8);
  // A longer Retry-After is not waited for: RESOURCE_EXHAUSTED at once.
  absl::Duration max_retry_after = absl::Seconds(30);
  // Every request (each attempt) waits for its slot at this rate
  // (request_pacer.h), so that sejfd stays under KSeF's limit instead of
  // collecting 429s; 0: unpaced. A slot more than `timeout` away is
  // refused: RESOURCE_EXHAUSTED, nothing sent.
  double max_requests_per_second = 0;
  // How the waits between attempts are spent; null: absl::SleepFor.
  std::function<void(absl::Duration)> sleep = nullptr;
};

class KsefHttpApi final : public KsefApi {
 public:
  // INVALID_ARGUMENT for a bad base_url (saying why) or settings out of
  // range (timeouts and backoff positive, max_attempts ≥ 1); the ca_file's
  // read error (NOT_FOUND, …) or INVALID_ARGUMENT when it holds no PEM
  // CERTIFICATE block, naming the file. `observer` may be null.
  static absl::StatusOr<std::unique_ptr<KsefHttpApi>> Create(
      KsefHttpApiSettings settings, KsefCallObserver observer);
  ~KsefHttpApi() override;

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

  // KSeF tokens (issue 14; ksef_http_api_tokens.cc).
  absl::StatusOr<GeneratedKsefToken> GenerateToken(
      const SecretBytes& access_token,
      const KsefTokenRequest& request) override;
  absl::StatusOr<KsefTokenStatus> GetToken(
      const SecretBytes& access_token,
      absl::string_view reference_number) override;
  absl::Status RevokeToken(const SecretBytes& access_token,
                           absl::string_view reference_number) override;
  // Certificates issued by KSeF (ksef_http_api_certificates.cc).
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

  const KsefHttpApiSettings& settings() const { return settings_; }

 private:
  // Whether an endpoint's request may be sent again once KSeF may have
  // acted on it (see the header comment).
  enum class Repeat { kIdempotent, kSameEffect, kMakesSomething };
  struct Endpoint {
    absl::string_view name;  // "POST /auth/token/redeem"
    Repeat repeat = Repeat::kIdempotent;
    // kMakesSomething: what KSeF may have made when the answer was lost,
    // and what to check or do ("…: start a new authentication from the
    // challenge").
    absl::string_view lost_answer = {};
  };

  KsefHttpApi(KsefHttpApiSettings settings, KsefCallObserver observer,
              std::unique_ptr<CurlTransport> transport);

  // One logical call reported to the observer: `precheck` (an argument
  // error: INVALID_ARGUMENT, nothing sent), Send, then `parse` of the 2xx
  // body (its error → INTERNAL naming the endpoint).
  template <typename T>
  absl::StatusOr<T> Run(const Endpoint& endpoint, const HttpRequest& request,
                        absl::StatusOr<T> (*parse)(const SecretBytes&),
                        absl::Status precheck = absl::OkStatus(),
                        absl::string_view reference_number = {});
  // Attempts, waits, error mapping: the 2xx answer, or the error with its
  // KsefError; `call` filled as it goes.
  absl::StatusOr<HttpAnswer> Send(const Endpoint& endpoint,
                                  const HttpRequest& request, KsefCall& call);
  absl::Status Error(absl::StatusCode code, const Endpoint& endpoint,
                     absl::string_view text, const KsefError& error,
                     const SecretBytes* bearer) const;
  absl::Status Malformed(const Endpoint& endpoint, const absl::Status& parse,
                         int http_status) const;
  absl::Duration Backoff(int attempt) const;
  void Sleep(absl::Duration duration) const;
  void Report(KsefCall& call, absl::Time start, const absl::Status& status);
  std::string Url(absl::string_view path) const;

  const KsefHttpApiSettings settings_;
  const KsefCallObserver observer_;
  const std::unique_ptr<CurlTransport> transport_;
  RequestPacer pacer_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_KSEF_API_KSEF_HTTP_API_H_
