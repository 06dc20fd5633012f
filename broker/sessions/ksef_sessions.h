// broker::KsefSessions: standing KSeF logins kept by sejfd, so that a thin
// client asks one question — "an access token for session S" — and never
// holds a refresh token (issue 13; docs/sessions.md).
//
//   KsefSessions::Deps deps{.apis = &directory, .storage = &storage, …};
//   ASSIGN_OR_RETURN(auto sessions, KsefSessions::Create(deps, {}));
//   ASSIGN_OR_RETURN(SessionInfo s, sessions->Open({.name = "acme",
//       .credential_kind = SessionCredentialKind::kKey,
//       .credential_name = "acme-auth", .context = "nip:5265877635",
//       .environment = "test"}));
//   ASSIGN_OR_RETURN(AccessToken token, sessions->GetAccessToken("acme"));
//
// A session is a KSeF login for (credential, context, environment): a key
// in custody (XAdES, signer/ksef/auth_token_signer.h) or a stored KSeF
// token (vault::TokenVault + signer/ministry/token_encryption.h), with
// optional AllowedIps. Its record (session_record.h) holds the access and
// refresh tokens sealed by the keyring; tokens are never stored, logged,
// audited or returned in plaintext, except the access token from
// GetAccessToken.
//
// The login (Open, and unattended re-logins): POST /auth/challenge → sign
// the AuthTokenRequest or encrypt the token → POST /auth/xades-signature or
// /auth/ksef-token → GET /auth/{ref} every poll_interval (1 s) until it is
// no longer 100, at most poll_timeout (2 min; the waiting goes through
// Options::sleep, so tests do not sleep) → POST /auth/token/redeem. The
// redeemed pair is sealed and stored before success is reported; when
// storing fails the new KSeF session is closed (best effort) and nothing is
// kept. A token login in an environment with no Ministry certificate stored
// yet fetches them first; a token login answered with 400 21470 (the Ministry
// key is unknown) fetches the environment's Ministry certificates again (GET
// /security/public-key-certificates stored as the complete list,
// ministry_list.h: the trust rules of an import; keys KSeF withdrew are
// retired) and runs the login once more. An auth status 550
// (cancelled by the system, "retry") runs the whole login once more. Nothing is
// written before the login succeeded: a failed Open leaves no record; what it
// did in KSeF is in the audit trail (every call, with its reference number,
// through the SessionCallObserver).
//
// GetAccessToken returns the cached access token while it has more than
// refresh_margin of life and the stored record (read on every call, one
// point read) still holds it: not closed, not renewed elsewhere. Otherwise,
// under the session's own lock (one refresh or login per session at a time;
// other sessions are not blocked; callers that waited for a renewal that failed
// get its error rather than starting another): the stored record is read again
// (another sejfd may have renewed it), then POST /auth/token/refresh with the
// refresh token while that has more than refresh_margin of life; when it has
// not, or KSeF refused it (400 21301, 401, auth status 425: IsRefusedRefresh),
// a new login with the session's credential. A failed renewal leaves the
// session failing, with last_error; the next call tries again. Sessions
// survive restarts: a new KsefSessions over the same storage serves the
// stored access token without calling KSeF.
//
// Close: DELETE /auth/sessions/current with the refresh token, then the
// sealed tokens are removed and the record stays, state closed (for show
// and audit; Open may reuse the name). Closing is best effort towards KSeF:
// when KSeF cannot be reached or refuses (the refresh token expired or was
// revoked already), the tokens are destroyed all the same and the session
// is closed, with last_error saying that KSeF did not confirm; the KSeF
// side then ends by itself when the refresh token expires (at most 7 days),
// and nobody holds that token any more.
//
// Errors (besides those of the steps: key custody, token vault, Ministry
// certificates, storage), see session_errors.h for KSeF's:
//   INVALID_ARGUMENT tagged with the OpenSessionParams field
//     (common/status_context.h TagField): name, credential_name, context,
//     environment, allowed_ips (the tag says which list);
//   NOT_FOUND: no such session; for Open, no such key or token, or a token
//     of another context;
//   ALREADY_EXISTS: Open of a name that is open (active or failing);
//   FAILED_PRECONDITION: a closed session; an environment without an API
//     address; a credential that cannot log in (disabled, expired, no
//     certificate); KSeF auth status 415/425/450/460/470/480 (KSeF's code
//     in the message and as KsefAuthStatusOf), KSeF 400 exception codes
//     (KsefError);
//   PERMISSION_DENIED: KSeF 401/403; RESOURCE_EXHAUSTED: KSeF 429 after the
//     API's retries, with the delay KSeF asked for; UNAVAILABLE: network,
//     5xx, auth status 500/550; DEADLINE_EXCEEDED: the login still in
//     progress (100) after poll_timeout.
// An INVALID_ARGUMENT raised inside a login (e.g. a challenge or Ministry
// certificate KSeF sent that our checks refuse) is not about the caller's
// input and comes back as FAILED_PRECONDITION, untagged. No message
// contains a token.
//
// Thread-safety: thread-safe. Deps must outlive the object. Concurrent
// sessions proceed in parallel. Several sejfd processes may share one
// storage: a record is written at the version it was read at (a change by
// another process meanwhile makes the write fail with ABORTED, nothing
// lost); the access-token cache is per process, and GetAccessToken serves
// from it only while the stored record holds that token, so a session
// closed through another process is refused here at once.
#ifndef SEJF_BROKER_SESSIONS_KSEF_SESSIONS_H_
#define SEJF_BROKER_SESSIONS_KSEF_SESSIONS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/ksef_api/ksef_api.h"
#include "broker/sessions/ksef_login.h"
#include "broker/sessions/session_call_observer.h"
#include "broker/sessions/session_record.h"
#include "common/clock.h"
#include "common/secret.h"
#include "signer/ksef/allowed_ips.h"
#include "signer/ksef/auth_token_signer.h"
#include "signer/ministry/ministry_certificate_store.h"
#include "signer/ministry/token_encryption.h"
#include "vault/crypto/keyring.h"
#include "vault/storage/storage.h"
#include "vault/tokens/token_vault.h"

namespace sejf::broker {

struct OpenSessionParams {
  std::string name = {};  // credential-name rule
  SessionCredentialKind credential_kind = SessionCredentialKind::kKey;
  std::string credential_name = {};  // a key in custody or a stored token
  std::string context = {};          // "nip:…" (common/ksef_context.h)
  std::string environment = {};      // "test", "demo", "prod" or configured
  signer::AllowedIps allowed_ips = {};
  // Key sessions only.
  signer::SubjectIdentifierType subject_type =
      signer::SubjectIdentifierType::kCertificateSubject;
};

// A session as callers see it: never a token.
struct SessionInfo {
  std::string name = {};
  SessionCredentialKind credential_kind = SessionCredentialKind::kKey;
  std::string credential_name = {};
  std::string context = {};
  std::string environment = {};
  signer::AllowedIps allowed_ips = {};
  signer::SubjectIdentifierType subject_type =
      signer::SubjectIdentifierType::kCertificateSubject;
  SessionState state = SessionState::kActive;
  std::string reference_number = {};
  // Key sessions: the certificate (SHA-256, uppercase hex) the current
  // login signed with — which key version; empty before it was recorded.
  std::string key_certificate_sha256 = {};
  std::optional<absl::Time> access_valid_until = std::nullopt;
  std::optional<absl::Time> refresh_valid_until = std::nullopt;
  std::optional<absl::Time> login_time = std::nullopt;
  std::optional<absl::Time> last_refresh_time = std::nullopt;
  std::optional<SessionError> last_error = std::nullopt;
  absl::Time create_time = absl::InfinitePast();
  absl::Time update_time = absl::InfinitePast();
};

struct SessionPage {
  std::vector<SessionInfo> sessions = {};
  std::string next_page_token = {};  // empty on the last page
};

// The only secret KsefSessions hands out.
struct AccessToken {
  SecretBytes token = {};
  absl::Time valid_until = absl::InfinitePast();
};

// A cached access token and the context of the session it was issued for.
struct CachedAccess {
  std::string context = {};
  AccessToken token = {};
};

inline constexpr int kDefaultSessionPageSize = 50;
inline constexpr int kMaxSessionPageSize = 500;

class KsefSessions {
 public:
  // What the sessions use; all but `observer` required, all must outlive
  // the object.
  struct Deps {
    KsefApiDirectory* apis = nullptr;
    vault::Storage* storage = nullptr;
    vault::Keyring* keyring = nullptr;
    vault::TokenVault* tokens = nullptr;
    signer::AuthTokenSigner* signer = nullptr;
    const signer::KsefTokenEncryptor* encryptor = nullptr;
    signer::MinistryCertificateStore* ministry_certificates = nullptr;
    const Clock* clock = nullptr;
    SessionCallObserver* observer = nullptr;  // may be null
  };

  struct Options {
    // An access token with less life than this is renewed; a refresh token
    // with less life than this is not used (a new login instead).
    // [ksef] refresh_margin_seconds.
    absl::Duration refresh_margin = absl::Seconds(60);
    // GET /auth/{ref} every poll_interval, for at most poll_timeout.
    absl::Duration poll_interval = absl::Seconds(1);
    absl::Duration poll_timeout = absl::Minutes(2);
    // How the login waits between polls; empty: absl::SleepFor. Tests
    // advance their FakeClock here instead.
    std::function<void(absl::Duration)> sleep = {};
    // Issue 14: told the name of a stored KSeF token whose login KSeF ended
    // with status 450 (a bad or revoked token), so that sejfd's token
    // status watch asks KSeF about it at once. Called on the login's
    // thread; must not block or call back into KsefSessions. May be empty.
    std::function<void(absl::string_view token)> on_token_refused = {};
  };

  // INVALID_ARGUMENT when a required dependency is missing or an option is
  // not positive (refresh_margin may be zero).
  static absl::StatusOr<std::unique_ptr<KsefSessions>> Create(Deps deps,
                                                              Options options);

  KsefSessions(const KsefSessions&) = delete;
  KsefSessions& operator=(const KsefSessions&) = delete;
  ~KsefSessions();

  // Validates the fields of `params` (what Open checks first, for an
  // adapter to refuse bad input before it authorizes): name, credential
  // name, context, environment name, allowed IPs; INVALID_ARGUMENT tagged
  // with the field. Looks nothing up.
  absl::Status CheckOpen(const OpenSessionParams& params) const;

  // Logs in and stores the session (see the file comment). ALREADY_EXISTS
  // when a session of that name is open; a closed one is replaced.
  absl::StatusOr<SessionInfo> Open(const OpenSessionParams& params,
                                   const SessionCaller& caller = {});

  // The session's access token with more than refresh_margin of life,
  // renewed as needed. NOT_FOUND, FAILED_PRECONDITION for a closed session,
  // or the renewal's error.
  absl::StatusOr<AccessToken> GetAccessToken(absl::string_view name,
                                             const SessionCaller& caller = {});

  // The access token of `name` when this process holds it in memory with
  // more than refresh_margin of life and the stored session record still
  // holds it (one point read, no decryption: replicas may have closed or
  // renewed it), with the context of the session it was issued for (a
  // consistent pair, replaced together), so an adapter can authorize the
  // caller before handing it out; nullopt otherwise (then Get, authorize,
  // GetAccessToken). Never calls KSeF.
  std::optional<CachedAccess> CachedAccessToken(absl::string_view name);

  // NOT_FOUND when there is no session of that name.
  absl::StatusOr<SessionInfo> Get(absl::string_view name);

  // Sessions in name order, closed ones included. `page_size` 0 means 50,
  // at most 500, negative INVALID_ARGUMENT; `page_token` a previous
  // next_page_token (INVALID_ARGUMENT otherwise).
  absl::StatusOr<SessionPage> List(int page_size = 0,
                                   absl::string_view page_token = "");

  // Ends the session (see the file comment: best effort towards KSeF).
  // Closing a closed session is a no-op. NOT_FOUND when there is none.
  absl::StatusOr<SessionInfo> Close(absl::string_view name,
                                    const SessionCaller& caller = {});

  // GET /security/public-key-certificates of `environment`, stored as the
  // complete list (ministry_list.h: MinistryCertificateStore::ImportFromKsef,
  // the same trust rules as an import, `pin_fingerprints` as there;
  // certificates no longer listed are retired). What the
  // FetchMinistryCertificates RPC (step "mfcert-fetch") and the
  // MinistryKeyRefresher (step "mfcert-refresh") use; the step names the
  // calls and the change in the audit trail. Returns what is stored for
  // each certificate of the list.
  absl::StatusOr<std::vector<signer::MinistryCertificate>>
  FetchMinistryCertificates(absl::string_view environment,
                            absl::Span<const std::string> pin_fingerprints = {},
                            const SessionCaller& caller = {},
                            absl::string_view step = "mfcert-fetch");

 private:
  struct Flight;  // one session's lock and last renewal

  KsefSessions(Deps deps, Options options);

  // The session's flight (created on first use, for names that have a
  // record; never removed while the object lives: one small entry per
  // session).
  Flight& FlightOf(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // The cached access token of `name` when it has more than the margin.
  std::optional<AccessToken> Cached(absl::string_view name)
      ABSL_LOCKS_EXCLUDED(mu_);
  void CacheAccess(absl::string_view name, const std::string& context,
                   const SecretBytes& token, absl::Time valid_until)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Forget(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Renews the access token of `name` (the caller holds its flight).
  absl::StatusOr<AccessToken> Renew(absl::string_view name,
                                    const SessionCaller& caller);

  // KsefLogin::Run against the environment's API.
  absl::StatusOr<KsefLoginResult> LogIn(absl::string_view name,
                                        const SessionRecord& record,
                                        absl::string_view step,
                                        const SessionCaller& caller);

  // `record` with `tokens` sealed at a new generation.
  absl::Status SealTokens(absl::string_view name, SessionRecord& record,
                          const SecretBytes& access, absl::Time access_until,
                          const SecretBytes& refresh, absl::Time refresh_until);
  // The opened tokens of `record`.
  absl::StatusOr<SecretBytes> OpenAccess(absl::string_view name,
                                         const SessionRecord& record);
  absl::StatusOr<SecretBytes> OpenRefresh(absl::string_view name,
                                          const SessionRecord& record);

  // The stored record of `name` (NOT_FOUND when none) and its version.
  absl::StatusOr<std::pair<SessionRecord, std::int64_t>> Read(
      absl::string_view name);
  // Stores `record` over `version` (0: insert) in one transaction.
  absl::Status Write(absl::string_view name, const SessionRecord& record,
                     std::int64_t version);
  // DELETE /auth/sessions/current for `record`'s KSeF session with its
  // refresh token; what KSeF answered.
  absl::Status EndInKsef(absl::string_view name, const SessionRecord& record,
                         const SecretBytes& refresh_token,
                         absl::string_view step, const SessionCaller& caller);
  // Records a failed renewal: state failing, last_error (best effort).
  void RecordFailure(absl::string_view name, const absl::Status& error);

  SessionInfo InfoOf(absl::string_view name, const SessionRecord& record) const;

  const Deps deps_;
  const Options options_;
  const KsefLogin login_;

  absl::Mutex mu_;
  // Bounded by the session names that have a record, plus the names Open
  // was tried with (sessions.manage, each attempt paced to KSeF): reading
  // or closing a name that has no record creates no flight.
  absl::flat_hash_map<std::string, std::unique_ptr<Flight>> flights_
      ABSL_GUARDED_BY(mu_);
  struct CachedToken {
    std::string context;
    SecretBytes token;
    absl::Time valid_until;
  };
  absl::flat_hash_map<std::string, CachedToken> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_SESSIONS_KSEF_SESSIONS_H_
