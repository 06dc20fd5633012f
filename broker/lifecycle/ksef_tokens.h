// broker::KsefTokens: KSeF tokens minted by sejfd straight into the token
// vault, their KSeF status mirrored, and revocation in KSeF before destroy
// (issue 14; docs/lifecycle-tokens.md; ksef-protocol.md §8).
//
//   KsefTokens::Deps deps{.apis = &apis, .sessions = &sessions,
//                         .tokens = &vault, .clock = &clock};
//   ASSIGN_OR_RETURN(auto lifecycle, KsefTokens::Create(deps, {}));
//   ASSIGN_OR_RETURN(vault::Token t, lifecycle->Create({.name = "acme-erp",
//       .session = "acme", .permissions = {kInvoiceRead},
//       .description = "ERP invoices"}));
//
// Create: through KSeF session S of sejf (KsefSessions: an access token of a
// session opened with a key — KSeF mints tokens only after a certificate
// login), POST /tokens; the token KSeF returns (shown once) is sealed into
// the token vault at once under the given name with its reference number,
// the session's context and environment, the permissions and description,
// KSeF status "Pending"; then GET /tokens/{ref} every poll_interval, at most
// poll_timeout, until KSeF no longer says Pending, each answer mirrored in
// the record. The token is never returned, logged or audited: only its
// reference number. When it cannot be stored (e.g. the vault is
// unavailable) it is revoked in KSeF at once (best effort) so that no token
// nobody holds stays active.
//
// CheckStatus / CheckAll (the status watch): GET /tokens/{ref} of a token
// with a reference number through an open session in the token's context
// (and environment when known; key sessions first), the status mirrored in
// the record (token show/list). A token KSeF no longer lists as Active
// (Revoking, Revoked, Failed) becomes unusable for logins
// (TokenVault::OpenForUse refuses it), the change is audited (operation
// "tokens.ksef_status", resource "tokens/<name>", detail "ref=…
// status=Active->Revoked"), counted (revocations_seen) and every session
// logged in with the token is closed.
//
// DestroyWithRevoke: DELETE /tokens/{ref} through session S (in the token's
// context) first; only when KSeF accepted it the token is destroyed in the
// vault, then its sessions are closed.
//
// Every KSeF call is reported to the observer (SessionCallObserver, the
// audit trail) with step "token-create", "token-status" or "token-revoke".
//
// Errors: INVALID_ARGUMENT tagged with the field (name, session,
// permissions, description) for bad input, nothing done; NOT_FOUND for an
// unknown session or token; ALREADY_EXISTS for a token name in use;
// FAILED_PRECONDITION for a closed session, a token session used to mint,
// a context KSeF does not mint tokens in, a token without a reference
// number, a session of another context, no session to check a token
// through, a token KSeF failed to activate; KSeF's errors as KsefApi
// reports them. No message contains a token.
//
// Thread-safety: thread-safe. Deps must outlive the object.
#ifndef SEJF_BROKER_LIFECYCLE_KSEF_TOKENS_H_
#define SEJF_BROKER_LIFECYCLE_KSEF_TOKENS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/ksef_api/ksef_api.h"
#include "broker/sessions/ksef_sessions.h"
#include "broker/sessions/session_call_observer.h"
#include "common/clock.h"
#include "vault/audit/audit_log.h"
#include "vault/tokens/token_vault.h"

namespace sejf::broker {

struct CreateKsefTokenParams {
  std::string name = {};     // the vault's token name (credential-name rule)
  std::string session = {};  // a sejf KSeF session opened with a key
  std::vector<vault::TokenPermission> permissions = {};  // at least one
  std::string description = {};  // 5..256 characters (KSeF's rule)
};

// What one pass of the status watch did.
struct KsefTokenWatchPass {
  int checked = 0;  // tokens whose status KSeF answered
  int changed = 0;  // of those, a status different from the stored one
  int revoked = 0;  // of those, newly unusable (Revoking, Revoked, Failed)
  int skipped = 0;  // with a reference number but no session to ask with
  int failed = 0;   // KSeF or storage errors (the next pass tries again)
  absl::Status last_error = {};
  // KSeF answered 429 (after the API's retries): the pass ended there and
  // the tokens after it wait for the next pass.
  bool stopped_by_rate_limit = false;
};

class KsefTokens {
 public:
  struct Deps {
    KsefApiDirectory* apis = nullptr;
    KsefSessions* sessions = nullptr;
    vault::TokenVault* tokens = nullptr;
    const Clock* clock = nullptr;
    SessionCallObserver* observer = nullptr;  // may be null
    vault::AuditLog* audit = nullptr;         // may be null
  };
  struct Options {
    absl::Duration poll_interval = absl::Seconds(1);
    absl::Duration poll_timeout = absl::Minutes(2);
    // How Create waits between polls; empty: absl::SleepFor.
    std::function<void(absl::Duration)> sleep = {};
  };

  // INVALID_ARGUMENT when a required dependency is missing or an option is
  // not positive.
  static absl::StatusOr<std::unique_ptr<KsefTokens>> Create(Deps deps,
                                                            Options options);

  // The checks of Create's fields (for an adapter, before it authorizes);
  // looks nothing up.
  absl::Status CheckCreate(const CreateKsefTokenParams& params) const;

  // See the file comment. Returns the stored token (never its secret).
  absl::StatusOr<vault::Token> Create(const CreateKsefTokenParams& params,
                                      const SessionCaller& caller = {});

  // The status watch for one token; returns it as stored afterwards.
  absl::StatusOr<vault::Token> CheckStatus(absl::string_view name,
                                           const SessionCaller& caller = {});

  // The status watch over every token with a reference number that is not
  // destroyed, in name order; it ends early when KSeF rate-limits it.
  KsefTokenWatchPass CheckAll(const SessionCaller& caller = {});

  // Revokes the token in KSeF through `session`, then destroys it.
  absl::StatusOr<vault::Token> DestroyWithRevoke(
      absl::string_view name, absl::string_view session,
      const SessionCaller& caller = {});

  // Session `name` as KsefSessions::Get answers (for an adapter to
  // authorize in its context before Create).
  absl::StatusOr<SessionInfo> Session(absl::string_view name) {
    return deps_.sessions->Get(name);
  }

  // Tokens the watch found newly unusable since start (a metric).
  std::int64_t revocations_seen() const { return revocations_seen_.load(); }

 private:
  KsefTokens(Deps deps, Options options)
      : deps_(deps), options_(std::move(options)) {}

  void Sleep(absl::Duration d) const;
  // The KSeF view stored, audited, and the token's sessions closed when it
  // became unusable.
  absl::StatusOr<vault::Token> Mirror(const vault::Token& token,
                                      const KsefTokenStatus& status,
                                      absl::string_view step,
                                      const SessionCaller& caller);
  // An open session to ask KSeF about `token` through; NOT_FOUND when none.
  absl::StatusOr<SessionInfo> SessionFor(const vault::Token& token);
  // Closes every open session logged in with token `name` (best effort).
  void CloseSessionsOf(absl::string_view name, const SessionCaller& caller);
  void Audit(const vault::Token& token, absl::string_view method,
             absl::string_view detail, const SessionCaller& caller);

  const Deps deps_;
  const Options options_;
  std::atomic<std::int64_t> revocations_seen_ = 0;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_LIFECYCLE_KSEF_TOKENS_H_
