// One KSeF login for a session's credential (ksef-protocol.md §3, §4):
//
//   POST /auth/challenge
//   → key: AuthTokenSigner signs the AuthTokenRequest (XAdES) with the key
//          in custody → POST /auth/xades-signature (the bytes as signed)
//     token: TokenVault::OpenForUse, KsefTokenEncryptor encrypts
//          "{token}|{timestampMs}" to the environment's trusted Ministry
//          certificate → POST /auth/ksef-token
//   → GET /auth/{ref} every poll_interval while KSeF answers 100, for at
//     most poll_timeout (the waiting goes through `sleep`)
//   → POST /auth/token/redeem (once: KSeF hands the pair out once).
//
// Two retries of the whole login, each at most once: after auth status 550
// ("cancelled by the system") and, for tokens, after 400 21470 (the
// Ministry key is unknown to KSeF), once the environment's certificates
// were fetched again (GET /security/public-key-certificates stored as the
// complete list, ministry_list.h: the trust rules of an import, withdrawn
// keys retired).
//
// Every KSeF call goes through a CallRecorder (the observer hears of it).
// Errors: the steps' own (key custody, token vault, encryptor, KsefApi
// with its KsefError payload); a failed auth status as AuthStatusError
// (session_errors.h); DEADLINE_EXCEEDED when KSeF still answers 100 after
// poll_timeout. An INVALID_ARGUMENT from any step comes back as
// FAILED_PRECONDITION: the session's fields were validated before, so it
// is about what KSeF or the stored credential gave, not the caller's input.
//
// Thread-safety: thread-safe (const; its dependencies are thread-safe).
#ifndef SEJF_BROKER_SESSIONS_KSEF_LOGIN_H_
#define SEJF_BROKER_SESSIONS_KSEF_LOGIN_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/ksef_api/ksef_api.h"
#include "broker/sessions/call_recorder.h"
#include "broker/sessions/session_call_observer.h"
#include "broker/sessions/session_record.h"
#include "common/clock.h"
#include "signer/ksef/auth_token_signer.h"
#include "signer/ministry/ministry_certificate_store.h"
#include "signer/ministry/token_encryption.h"
#include "vault/tokens/token_vault.h"

namespace sejf::broker {

struct KsefLoginResult {
  std::string reference_number;  // the authentication operation's
  // Key logins: the SHA-256 (uppercase hex) of the certificate signed with.
  std::string key_certificate_sha256;
  AuthTokens tokens;
};

class KsefLogin {
 public:
  // All required but `observer`; all must outlive the object.
  struct Deps {
    vault::TokenVault* tokens = nullptr;
    signer::AuthTokenSigner* signer = nullptr;
    const signer::KsefTokenEncryptor* encryptor = nullptr;
    signer::MinistryCertificateStore* ministry_certificates = nullptr;
    const Clock* clock = nullptr;
    SessionCallObserver* observer = nullptr;
  };
  struct Options {
    absl::Duration poll_interval = absl::Seconds(1);
    absl::Duration poll_timeout = absl::Minutes(2);
    std::function<void(absl::Duration)> sleep;  // required
  };

  KsefLogin(Deps deps, Options options)
      : deps_(deps), options_(std::move(options)) {}

  // Logs in to `api` with the credential, context, environment, subject
  // type and AllowedIps of `record`, for session `session`; the calls are
  // reported with `step` and `caller`.
  absl::StatusOr<KsefLoginResult> Run(KsefApi& api, absl::string_view session,
                                      const SessionRecord& record,
                                      absl::string_view step,
                                      const SessionCaller& caller) const;

 private:
  // One pass; `*refetch` set when KSeF did not know the Ministry key.
  absl::StatusOr<KsefLoginResult> RunOnce(KsefApi& api, CallRecorder& recorder,
                                          const SessionRecord& record,
                                          bool* refetch) const;
  // The POST /auth/ksef-token body for `record`'s token and `challenge`.
  absl::StatusOr<std::string> TokenBody(const SessionRecord& record,
                                        const AuthChallenge& challenge) const;
  // GET /security/public-key-certificates stored for `environment`; an
  // error says `why` the certificates were fetched.
  absl::Status RefetchMinistryCertificates(KsefApi& api, CallRecorder& recorder,
                                           absl::string_view environment,
                                           absl::string_view why) const;

  const Deps deps_;
  const Options options_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_SESSIONS_KSEF_LOGIN_H_
