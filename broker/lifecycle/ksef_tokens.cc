#include "broker/lifecycle/ksef_tokens.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/sessions/call_recorder.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "vault/records/credential_name.h"

namespace sejf::broker {
namespace {

constexpr absl::string_view kGenerate = "POST /tokens";
constexpr absl::string_view kGet = "GET /tokens/{referenceNumber}";
constexpr absl::string_view kRevoke = "DELETE /tokens/{referenceNumber}";

// KSeF's GenerateTokenRequest.description: 5..256 characters.
constexpr std::size_t kMinDescription = 5;

CallRecorder RecorderFor(SessionCallObserver* observer, const Clock* clock,
                         const SessionInfo& session, absl::string_view step,
                         const SessionCaller& caller) {
  return CallRecorder(observer, clock,
                      {.session = session.name,
                       .context = session.context,
                       .environment = session.environment,
                       .step = std::string(step),
                       .caller = caller});
}

absl::Status SessionUsable(const SessionInfo& session) {
  if (session.state == SessionState::kClosed) {
    return absl::FailedPreconditionError(
        absl::StrCat("session \"", session.name,
                     "\" is closed; open it again (sejf session open)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<KsefTokens>> KsefTokens::Create(
    Deps deps, Options options) {
  if (deps.apis == nullptr || deps.sessions == nullptr ||
      deps.tokens == nullptr || deps.clock == nullptr) {
    return absl::InvalidArgumentError(
        "KsefTokens needs the KSeF APIs, the sessions, the token vault and a "
        "clock");
  }
  if (options.poll_interval <= absl::ZeroDuration() ||
      options.poll_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "KsefTokens: poll interval and timeout must be positive");
  }
  return std::unique_ptr<KsefTokens>(new KsefTokens(deps, std::move(options)));
}

void KsefTokens::Sleep(absl::Duration d) const {
  if (options_.sleep) {
    options_.sleep(d);
  } else {
    absl::SleepFor(d);
  }
}

absl::Status KsefTokens::CheckCreate(const CreateKsefTokenParams& p) const {
  RETURN_IF_ERROR(
      TagField("name", vault::ValidateCredentialName(p.name, "name")));
  RETURN_IF_ERROR(
      TagField("session", vault::ValidateCredentialName(p.session, "session")));
  if (p.permissions.empty()) {
    return TagField("permissions",
                    absl::InvalidArgumentError(
                        "permissions: name at least one (e.g. InvoiceRead)"));
  }
  for (std::size_t i = 0; i < p.permissions.size(); ++i) {
    if (vault::TokenPermissionName(p.permissions[i]).empty()) {
      return TagField("permissions",
                      absl::InvalidArgumentError(absl::StrCat(
                          "permissions[", i, "] is not a KSeF permission")));
    }
  }
  RETURN_IF_ERROR(TagField("description", vault::ValidateTokenDescription(
                                              p.description, "description")));
  if (p.description.size() < kMinDescription) {
    return TagField("description",
                    absl::InvalidArgumentError(absl::StrCat(
                        "description must be at least ", kMinDescription,
                        " characters (KSeF's rule)")));
  }
  return absl::OkStatus();
}

absl::StatusOr<vault::Token> KsefTokens::Create(
    const CreateKsefTokenParams& params, const SessionCaller& caller) {
  RETURN_IF_ERROR(CheckCreate(params));
  ASSIGN_OR_RETURN(SessionInfo session, deps_.sessions->Get(params.session));
  RETURN_IF_ERROR(SessionUsable(session));
  if (session.credential_kind != SessionCredentialKind::kKey) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session \"", session.name,
        "\" logged in with a KSeF token; KSeF mints tokens only after a "
        "certificate login: use a session opened with a key"));
  }
  if (absl::Status context =
          vault::ParseTokenContext(session.context, "context").status();
      !context.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session \"", session.name, "\" is in context ", session.context,
        "; KSeF mints tokens only in nip: and internal-id: "
        "contexts"));
  }
  // The name is checked before KSeF mints anything.
  absl::StatusOr<vault::Token> existing = deps_.tokens->Get(params.name);
  if (existing.ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("a token named \"", params.name,
                     "\" exists (names of destroyed tokens are not reused)"));
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();

  ASSIGN_OR_RETURN(AccessToken access,
                   deps_.sessions->GetAccessToken(session.name, caller));
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(session.environment));
  CallRecorder recorder =
      RecorderFor(deps_.observer, deps_.clock, session, "token-create", caller);
  KsefTokenRequest request{.description = params.description};
  for (vault::TokenPermission p :
       vault::NormalizePermissions(params.permissions)) {
    request.permissions.emplace_back(vault::TokenPermissionName(p));
  }
  ASSIGN_OR_RETURN(GeneratedKsefToken generated,
                   recorder.Call(kGenerate, 202, "", [&] {
                     return api->GenerateToken(access.token, request);
                   }));
  const std::string reference = generated.reference_number;

  absl::StatusOr<vault::Token> stored =
      deps_.tokens->Import({.name = params.name,
                            .context = session.context,
                            .permissions = params.permissions,
                            .description = params.description,
                            .secret = std::move(generated.token),
                            .ksef_reference = reference,
                            .ksef_environment = session.environment,
                            .ksef_status = "Pending"});
  if (!stored.ok()) {
    // Nobody holds the token now: revoke it so it does not stay usable.
    absl::Status revoked = recorder.Call(kRevoke, 204, reference, [&] {
      return api->RevokeToken(access.token, reference);
    });
    return absl::Status(
        stored.status().code(),
        absl::StrCat("the token KSeF minted (", reference,
                     ") could not be stored: ", stored.status().message(),
                     revoked.ok() ? "; it was revoked in KSeF"
                                  : absl::StrCat("; revoking it in KSeF "
                                                 "failed too, revoke it in "
                                                 "the KSeF portal: ",
                                                 revoked.message())));
  }

  // Poll until KSeF no longer says Pending.
  CallRecorder poller =
      RecorderFor(deps_.observer, deps_.clock, session, "token-status", caller);
  const absl::Time deadline = deps_.clock->Now() + options_.poll_timeout;
  vault::Token token = *std::move(stored);
  while (true) {
    absl::StatusOr<KsefTokenStatus> status =
        poller.Call(kGet, 200, reference,
                    [&] { return api->GetToken(access.token, reference); });
    if (!status.ok()) {
      return absl::Status(
          status.status().code(),
          absl::StrCat("token \"", params.name, "\" was minted (", reference,
                       ") and stored, but its KSeF status could not be read "
                       "(the status watch tries again): ",
                       status.status().message()));
    }
    ASSIGN_OR_RETURN(token, Mirror(token, *status, "token-create", caller));
    if (status->status != "Pending") break;
    if (deps_.clock->Now() >= deadline) break;  // stays Pending; the watch
    Sleep(options_.poll_interval);
  }
  if (token.record.ksef_status == "Failed") {
    return absl::FailedPreconditionError(absl::StrCat(
        "KSeF failed to activate token \"", params.name, "\" (", reference,
        "); it is stored as Failed and cannot log in: destroy it and create "
        "a new one"));
  }
  return token;
}

absl::StatusOr<vault::Token> KsefTokens::Mirror(const vault::Token& token,
                                                const KsefTokenStatus& status,
                                                absl::string_view step,
                                                const SessionCaller& caller) {
  ASSIGN_OR_RETURN(auto change,
                   deps_.tokens->SetKsefStatus(token.name, status.status,
                                               deps_.clock->Now()));
  const vault::TokenRecord& before = change.first.record;
  const vault::TokenRecord& after = change.second.record;
  if (before.ksef_status != after.ksef_status) {
    Audit(change.second, step,
          absl::StrCat(
              "ref=", after.ksef_reference, " status=",
              before.ksef_status.empty() ? "unknown" : before.ksef_status, "->",
              after.ksef_status,
              status.status_details.empty()
                  ? ""
                  : absl::StrCat(" details=",
                                 absl::StrJoin(status.status_details, "; "))),
          caller);
    if (vault::KsefStatusForbidsUse(after.ksef_status) &&
        after.ksef_status != "Pending" &&
        !(vault::KsefStatusForbidsUse(before.ksef_status) &&
          before.ksef_status != "Pending")) {
      revocations_seen_.fetch_add(1);
      CloseSessionsOf(token.name, caller);
    }
  }
  return std::move(change.second);
}

void KsefTokens::Audit(const vault::Token& token, absl::string_view method,
                       absl::string_view detail, const SessionCaller& caller) {
  if (deps_.audit == nullptr) return;
  vault::AuditEvent event{
      .request_id = caller.request_id,
      .identity = caller.identity.empty() ? "sejfd" : caller.identity,
      .operation = "tokens.ksef_status",
      .method = std::string(method),
      .resource = absl::StrCat("tokens/", token.name),
      .context = token.record.context,
      .outcome = "OK",
      .detail = vault::ClipAuditField(detail, vault::kMaxAuditDetailSize)};
  (void)deps_.audit->Append(std::move(event));
}

absl::StatusOr<SessionInfo> KsefTokens::SessionFor(const vault::Token& token) {
  std::optional<SessionInfo> best;
  std::string page_token;
  do {
    ASSIGN_OR_RETURN(SessionPage page,
                     deps_.sessions->List(kMaxSessionPageSize, page_token));
    for (SessionInfo& s : page.sessions) {
      if (s.state != SessionState::kActive ||
          s.context != token.record.context ||
          (!token.record.ksef_environment.empty() &&
           s.environment != token.record.ksef_environment)) {
        continue;
      }
      // Key sessions first; the token's own session last (it may be dead).
      auto rank = [&](const SessionInfo& x) {
        if (x.credential_kind == SessionCredentialKind::kKey) return 2;
        return x.credential_name == token.name ? 0 : 1;
      };
      if (!best.has_value() || rank(s) > rank(*best)) best = std::move(s);
    }
    page_token = page.next_page_token;
  } while (!page_token.empty());
  if (!best.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "no open session in context ", token.record.context,
        token.record.ksef_environment.empty()
            ? ""
            : absl::StrCat(" and environment ", token.record.ksef_environment),
        " to ask KSeF about token \"", token.name, "\" through"));
  }
  return *std::move(best);
}

absl::StatusOr<vault::Token> KsefTokens::CheckStatus(
    absl::string_view name, const SessionCaller& caller) {
  ASSIGN_OR_RETURN(vault::Token token, deps_.tokens->Get(name));
  if (token.record.state == vault::CredentialState::kDestroyed) return token;
  if (token.record.ksef_reference.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("token \"", name,
                     "\" has no KSeF reference number; its status in KSeF "
                     "cannot be asked for"));
  }
  absl::StatusOr<SessionInfo> session = SessionFor(token);
  if (!session.ok()) {
    return absl::FailedPreconditionError(session.status().message());
  }
  ASSIGN_OR_RETURN(AccessToken access,
                   deps_.sessions->GetAccessToken(session->name, caller));
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(session->environment));
  CallRecorder recorder = RecorderFor(deps_.observer, deps_.clock, *session,
                                      "token-status", caller);
  const std::string reference = token.record.ksef_reference;
  ASSIGN_OR_RETURN(KsefTokenStatus status,
                   recorder.Call(kGet, 200, reference, [&] {
                     return api->GetToken(access.token, reference);
                   }));
  return Mirror(token, status, "token-status", caller);
}

KsefTokenWatchPass KsefTokens::CheckAll(const SessionCaller& caller) {
  KsefTokenWatchPass pass;
  std::string page_token;
  do {
    absl::StatusOr<vault::TokenPage> page =
        deps_.tokens->List({}, vault::kMaxTokenPageSize, page_token);
    if (!page.ok()) {
      ++pass.failed;
      pass.last_error = page.status();
      return pass;
    }
    for (const vault::Token& token : page->tokens) {
      if (token.record.state == vault::CredentialState::kDestroyed ||
          token.record.ksef_reference.empty()) {
        continue;
      }
      const std::string before = token.record.ksef_status;
      absl::StatusOr<vault::Token> checked = CheckStatus(token.name, caller);
      if (!checked.ok()) {
        if (absl::IsFailedPrecondition(checked.status())) {
          ++pass.skipped;
        } else {
          ++pass.failed;
          pass.last_error = checked.status();
          // KSeF allows 10/s, 30/min, 120/h on /tokens (ksef-protocol.md
          // §9.2): once it says so, the rest waits for the next pass.
          if (absl::IsResourceExhausted(checked.status())) {
            pass.stopped_by_rate_limit = true;
            return pass;
          }
        }
        continue;
      }
      ++pass.checked;
      const std::string& after = checked->record.ksef_status;
      if (after != before) {
        ++pass.changed;
        if (vault::KsefStatusForbidsUse(after) && after != "Pending" &&
            !(vault::KsefStatusForbidsUse(before) && before != "Pending")) {
          ++pass.revoked;
        }
      }
    }
    page_token = page->next_page_token;
  } while (!page_token.empty());
  return pass;
}

void KsefTokens::CloseSessionsOf(absl::string_view name,
                                 const SessionCaller& caller) {
  std::vector<std::string> names;
  std::string page_token;
  do {
    absl::StatusOr<SessionPage> page =
        deps_.sessions->List(kMaxSessionPageSize, page_token);
    if (!page.ok()) return;
    for (const SessionInfo& s : page->sessions) {
      if (s.state != SessionState::kClosed &&
          s.credential_kind == SessionCredentialKind::kToken &&
          s.credential_name == name) {
        names.push_back(s.name);
      }
    }
    page_token = page->next_page_token;
  } while (!page_token.empty());
  for (const std::string& session : names) {
    (void)deps_.sessions->Close(session, caller);
  }
}

absl::StatusOr<vault::Token> KsefTokens::DestroyWithRevoke(
    absl::string_view name, absl::string_view session_name,
    const SessionCaller& caller) {
  RETURN_IF_ERROR(
      TagField("name", vault::ValidateCredentialName(name, "name")));
  RETURN_IF_ERROR(TagField(
      "session", vault::ValidateCredentialName(session_name, "session")));
  ASSIGN_OR_RETURN(vault::Token token, deps_.tokens->Get(name));
  if (token.record.state == vault::CredentialState::kDestroyed) return token;
  const std::string reference = token.record.ksef_reference;
  if (reference.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "token \"", name,
        "\" has no KSeF reference number, so sejf cannot revoke it in KSeF: "
        "revoke it in the KSeF portal and destroy it without "
        "--revoke-in-ksef"));
  }
  ASSIGN_OR_RETURN(SessionInfo session, deps_.sessions->Get(session_name));
  RETURN_IF_ERROR(SessionUsable(session));
  if (session.context != token.record.context) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session \"", session.name, "\" is in context ", session.context,
        " but token \"", name, "\" is in ", token.record.context,
        "; revoke through a session in the token's context"));
  }
  ASSIGN_OR_RETURN(AccessToken access,
                   deps_.sessions->GetAccessToken(session.name, caller));
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(session.environment));
  CallRecorder recorder =
      RecorderFor(deps_.observer, deps_.clock, session, "token-revoke", caller);
  RETURN_IF_ERROR(recorder.Call(kRevoke, 204, reference, [&] {
    return api->RevokeToken(access.token, reference);
  }));
  (void)deps_.tokens->SetKsefStatus(name, "Revoking", deps_.clock->Now());
  ASSIGN_OR_RETURN(vault::Token destroyed, deps_.tokens->Destroy(name));
  CloseSessionsOf(name, caller);
  return destroyed;
}

}  // namespace sejf::broker
