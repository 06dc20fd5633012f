#include "broker/sessions/ksef_sessions.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/sessions/session_errors.h"
#include "common/ksef_context.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "vault/crypto/sealed_record.h"
#include "vault/records/credential_name.h"
#include "vault/records/token_record.h"

namespace sejf::broker {
namespace {

constexpr std::size_t kMaxErrorText = 512;

absl::Status StatusOf(const absl::Status& status) { return status; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

template <typename T>
std::string ReferenceOf(const T&) {
  return "";
}
std::string ReferenceOf(const absl::StatusOr<AuthInit>& init) {
  return init.ok() ? init->reference_number : "";
}

absl::Status SessionNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("session \"", name, "\" not found"));
}

absl::Status Closed(absl::string_view name) {
  return absl::FailedPreconditionError(
      absl::StrCat("session \"", name,
                   "\" is closed; open it again with sejf session open"));
}

// The error text kept in the record and shown by Get/List: the status
// code's name is kept apart, the message clipped (it never holds a token:
// every layer's messages are free of secrets).
SessionError ErrorOf(const absl::Status& status, absl::Time now) {
  std::string text(status.message());
  if (text.size() > kMaxErrorText) text.resize(kMaxErrorText);
  return SessionError{.code = absl::StatusCodeToString(status.code()),
                      .text = std::move(text),
                      .time = now};
}

// An INVALID_ARGUMENT from inside a login is not about the caller's input
// (validated before it started) but about what KSeF or the stored
// credential gave: FAILED_PRECONDITION with the same message, untagged.
absl::Status NotInput(absl::Status status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  return absl::FailedPreconditionError(status.message());
}

}  // namespace

// One session's renewals: `mu` is held for the whole of an open, renewal or
// close; `completed` counts renewals finished, `last` is the last one's
// outcome, so a caller that waited for a renewal shares its result.
struct KsefSessions::Flight {
  absl::Mutex mu;
  std::atomic<std::int64_t> completed = 0;
  absl::Status last ABSL_GUARDED_BY(mu);
};

struct KsefSessions::Login {
  std::string reference_number;
  AuthTokens tokens;
};

// Makes the calls of one operation and tells the observer about each.
class KsefSessions::CallRecorder {
 public:
  CallRecorder(SessionCallObserver* observer, const Clock* clock,
               SessionCallEvent base)
      : observer_(observer), clock_(clock), base_(std::move(base)) {}

  // Runs `f` (a KsefApi call) as `endpoint`, whose success is HTTP
  // `ok_http`, for the operation `reference` (or the one it returns).
  template <typename F>
  auto Call(absl::string_view endpoint, int ok_http,
            absl::string_view reference, F f) -> decltype(f()) {
    const absl::Time start = clock_->Now();
    auto result = f();
    if (observer_ == nullptr) return result;
    SessionCallEvent event = base_;
    KsefCall& call = event.call;
    call.endpoint = std::string(endpoint);
    call.reference_number = std::string(reference);
    if (call.reference_number.empty())
      call.reference_number = ReferenceOf(result);
    call.status = StatusOf(result);
    call.duration = clock_->Now() - start;
    if (call.status.ok()) {
      call.http_status = ok_http;
    } else if (std::optional<KsefError> error = KsefErrorOf(call.status)) {
      call.http_status = error->http_status;
      call.exception_codes = error->exception_codes;
    }
    observer_->OnKsefCall(event);
    return result;
  }

 private:
  SessionCallObserver* const observer_;
  const Clock* const clock_;
  const SessionCallEvent base_;
};

KsefSessions::KsefSessions(Deps deps, Options options)
    : deps_(deps), options_(std::move(options)) {}

KsefSessions::~KsefSessions() = default;

absl::StatusOr<std::unique_ptr<KsefSessions>> KsefSessions::Create(
    Deps deps, Options options) {
  if (deps.apis == nullptr || deps.storage == nullptr ||
      deps.keyring == nullptr || deps.tokens == nullptr ||
      deps.signer == nullptr || deps.encryptor == nullptr ||
      deps.ministry_certificates == nullptr || deps.clock == nullptr) {
    return absl::InvalidArgumentError(
        "KsefSessions needs every dependency but the observer");
  }
  if (options.refresh_margin < absl::ZeroDuration() ||
      options.poll_interval <= absl::ZeroDuration() ||
      options.poll_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "refresh_margin must not be negative; poll_interval and poll_timeout "
        "must be positive");
  }
  if (!options.sleep) {
    options.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  }
  return std::unique_ptr<KsefSessions>(
      new KsefSessions(deps, std::move(options)));
}

absl::Status KsefSessions::CheckOpen(const OpenSessionParams& p) const {
  RETURN_IF_ERROR(
      TagField("name", vault::ValidateCredentialName(p.name, "name")));
  RETURN_IF_ERROR(TagField(
      "credential_name",
      vault::ValidateCredentialName(p.credential_name, "credential_name")));
  if (p.credential_kind == SessionCredentialKind::kToken) {
    RETURN_IF_ERROR(TagField(
        "context", vault::ParseTokenContext(p.context, "context").status()));
  } else {
    RETURN_IF_ERROR(
        TagField("context", ParseKsefContext(p.context, "context").status()));
  }
  RETURN_IF_ERROR(
      TagField("environment", signer::ValidateEnvironmentName(p.environment)));
  RETURN_IF_ERROR(
      TagField("allowed_ips", signer::ValidateAllowedIps(p.allowed_ips)));
  return absl::OkStatus();
}

KsefSessions::Flight& KsefSessions::FlightOf(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Flight>& flight = flights_[name];
  if (flight == nullptr) flight = std::make_unique<Flight>();
  return *flight;
}

std::optional<AccessToken> KsefSessions::Cached(absl::string_view name) {
  const absl::Time now = deps_.clock->Now();
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(name);
  if (it == cache_.end() ||
      it->second.valid_until - now <= options_.refresh_margin) {
    return std::nullopt;
  }
  return AccessToken{.token = it->second.token,
                     .valid_until = it->second.valid_until};
}

void KsefSessions::CacheAccess(absl::string_view name, const SecretBytes& token,
                               absl::Time valid_until) {
  absl::MutexLock lock(&mu_);
  cache_[name] = CachedToken{.token = token, .valid_until = valid_until};
}

void KsefSessions::Forget(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  cache_.erase(name);
}

absl::StatusOr<std::pair<SessionRecord, std::int64_t>> KsefSessions::Read(
    absl::string_view name) {
  ASSIGN_OR_RETURN(std::optional<vault::Record> stored,
                   deps_.storage->Get(kSessionRecordKind, name));
  if (!stored.has_value()) return SessionNotFound(name);
  absl::StatusOr<SessionRecord> record = DecodeSessionRecord(stored->data);
  if (!record.ok()) {
    return WithContext(record.status(), absl::StrCat("session \"", name, "\""));
  }
  return std::make_pair(*std::move(record), stored->version);
}

absl::Status KsefSessions::Write(absl::string_view name,
                                 const SessionRecord& record,
                                 std::int64_t version) {
  ASSIGN_OR_RETURN(auto txn,
                   deps_.storage->Begin(vault::TransactionMode::kReadWrite));
  const std::string data = EncodeSessionRecord(record);
  if (version == 0) {
    absl::StatusOr<vault::Record> inserted =
        txn->Insert(kSessionRecordKind, name, data);
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(
          absl::StrCat("session \"", name, "\" was opened meanwhile"));
    }
    RETURN_IF_ERROR(inserted.status());
  } else {
    RETURN_IF_ERROR(
        txn->Update(kSessionRecordKind, name, version, data).status());
  }
  return txn->Commit();
}

absl::Status KsefSessions::SealTokens(absl::string_view name,
                                      SessionRecord& record,
                                      const SecretBytes& access,
                                      absl::Time access_until,
                                      const SecretBytes& refresh,
                                      absl::Time refresh_until) {
  const std::int64_t generation = record.generation + 1;
  const std::string access_id = AccessTokenPlaceId(name);
  const std::string refresh_id = RefreshTokenPlaceId(name);
  ASSIGN_OR_RETURN(std::string sealed_access,
                   vault::Seal(*deps_.keyring, SecretView(access),
                               {.kind = kSessionRecordKind,
                                .id = access_id,
                                .version = generation}));
  ASSIGN_OR_RETURN(std::string sealed_refresh,
                   vault::Seal(*deps_.keyring, SecretView(refresh),
                               {.kind = kSessionRecordKind,
                                .id = refresh_id,
                                .version = generation}));
  record.generation = generation;
  record.access = SealedBearer{.sealed = std::move(sealed_access),
                               .valid_until = access_until};
  record.refresh = SealedBearer{.sealed = std::move(sealed_refresh),
                                .valid_until = refresh_until};
  return absl::OkStatus();
}

absl::StatusOr<SecretBytes> KsefSessions::OpenAccess(
    absl::string_view name, const SessionRecord& record) {
  const std::string id = AccessTokenPlaceId(name);
  return WithContext(
      vault::Open(
          *deps_.keyring, record.access->sealed,
          {.kind = kSessionRecordKind, .id = id, .version = record.generation}),
      absl::StrCat("access token of session \"", name, "\""));
}

absl::StatusOr<SecretBytes> KsefSessions::OpenRefresh(
    absl::string_view name, const SessionRecord& record) {
  const std::string id = RefreshTokenPlaceId(name);
  return WithContext(
      vault::Open(
          *deps_.keyring, record.refresh->sealed,
          {.kind = kSessionRecordKind, .id = id, .version = record.generation}),
      absl::StrCat("refresh token of session \"", name, "\""));
}

SessionInfo KsefSessions::InfoOf(absl::string_view name,
                                 const SessionRecord& r) const {
  SessionInfo info{.name = std::string(name),
                   .credential_kind = r.credential_kind,
                   .credential_name = r.credential_name,
                   .context = r.context,
                   .environment = r.environment,
                   .allowed_ips = r.allowed_ips,
                   .subject_type = r.subject_type,
                   .state = r.state,
                   .reference_number = r.reference_number,
                   .login_time = r.login_time,
                   .last_refresh_time = r.last_refresh_time,
                   .last_error = r.last_error,
                   .create_time = r.create_time,
                   .update_time = r.update_time};
  if (r.access) info.access_valid_until = r.access->valid_until;
  if (r.refresh) info.refresh_valid_until = r.refresh->valid_until;
  return info;
}

absl::StatusOr<std::string> KsefSessions::EncryptedTokenBody(
    const SessionRecord& record, const AuthChallenge& challenge) {
  ASSIGN_OR_RETURN(vault::UsableToken usable,
                   deps_.tokens->OpenForUse(record.credential_name));
  if (usable.token.record.context != record.context) {
    return absl::NotFoundError(absl::StrCat("token \"", record.credential_name,
                                            "\" not found in context ",
                                            record.context));
  }
  ASSIGN_OR_RETURN(KsefContext context,
                   ParseKsefContext(record.context, "context"));
  signer::KsefTokenRequest request{.environment = record.environment,
                                   .challenge = challenge.challenge,
                                   .context = context,
                                   .timestamp_ms = challenge.timestamp_ms,
                                   .allowed_ips = record.allowed_ips};
  ASSIGN_OR_RETURN(signer::EncryptedKsefToken encrypted,
                   deps_.encryptor->Encrypt(usable.secret, request));
  return std::move(encrypted.request_json);
}

absl::Status KsefSessions::RefetchMinistryCertificates(
    KsefApi& api, CallRecorder& recorder, absl::string_view environment) {
  ASSIGN_OR_RETURN(
      std::string list,
      recorder.Call("GET /security/public-key-certificates", 200, "",
                    [&] { return api.PublicKeyCertificates(); }));
  // What KSeF published and the trust refused is not the caller's input.
  absl::Status imported =
      NotInput(deps_.ministry_certificates->Import(environment, list).status());
  return WithContext(imported,
                     "KSeF no longer knows the Ministry key (21470); storing "
                     "the certificates it lists now");
}

absl::StatusOr<KsefSessions::Login> KsefSessions::LogInOnce(
    KsefApi& api, CallRecorder& recorder, const SessionRecord& record,
    bool* retry_after_refetch) {
  ASSIGN_OR_RETURN(AuthChallenge challenge,
                   recorder.Call("POST /auth/challenge", 200, "",
                                 [&] { return api.Challenge(); }));
  AuthInit init;
  if (record.credential_kind == SessionCredentialKind::kKey) {
    ASSIGN_OR_RETURN(KsefContext context,
                     ParseKsefContext(record.context, "context"));
    ASSIGN_OR_RETURN(signer::SignedAuthTokenRequest signed_request,
                     deps_.signer->Sign({.key_name = record.credential_name,
                                         .challenge = challenge.challenge,
                                         .context = context,
                                         .subject_type = record.subject_type,
                                         .allowed_ips = record.allowed_ips}));
    ASSIGN_OR_RETURN(init,
                     recorder.Call("POST /auth/xades-signature", 202, "", [&] {
                       return api.SubmitXadesSignature(signed_request.xml);
                     }));
  } else {
    ASSIGN_OR_RETURN(std::string body, EncryptedTokenBody(record, challenge));
    absl::StatusOr<AuthInit> submitted =
        recorder.Call("POST /auth/ksef-token", 202, "",
                      [&] { return api.SubmitKsefToken(body); });
    if (!submitted.ok()) {
      *retry_after_refetch = HasKsefCode(submitted.status(), 21470);
      return submitted.status();
    }
    init = *std::move(submitted);
  }
  const std::string& ref = init.reference_number;
  const absl::Time deadline = deps_.clock->Now() + options_.poll_timeout;
  for (;;) {
    ASSIGN_OR_RETURN(
        AuthOperationStatus status,
        recorder.Call("GET /auth/{referenceNumber}", 200, ref, [&] {
          return api.GetAuthStatus(ref, init.authentication_token.token);
        }));
    if (status.code == 200) break;
    if (status.code != 100) {
      return AuthStatusError(status.code, status.description, status.details,
                             ref);
    }
    const absl::Time now = deps_.clock->Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("KSeF authentication ", ref, " still in progress after ",
                       absl::FormatDuration(options_.poll_timeout)));
    }
    options_.sleep(std::min(options_.poll_interval, deadline - now));
  }
  ASSIGN_OR_RETURN(AuthTokens tokens,
                   recorder.Call("POST /auth/token/redeem", 200, ref, [&] {
                     return api.Redeem(init.authentication_token.token);
                   }));
  return Login{.reference_number = ref, .tokens = std::move(tokens)};
}

absl::StatusOr<KsefSessions::Login> KsefSessions::LogIn(
    absl::string_view name, const SessionRecord& record, absl::string_view step,
    const SessionCaller& caller) {
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(record.environment));
  CallRecorder recorder(deps_.observer, deps_.clock,
                        {.session = std::string(name),
                         .context = record.context,
                         .environment = record.environment,
                         .step = std::string(step),
                         .caller = caller});
  bool refetched = false;
  bool retried = false;
  for (;;) {
    bool refetch = false;
    absl::StatusOr<Login> login = LogInOnce(*api, recorder, record, &refetch);
    if (login.ok()) return login;
    if (refetch && !refetched) {
      refetched = true;
      CallRecorder fetch_recorder(deps_.observer, deps_.clock,
                                  {.session = std::string(name),
                                   .context = record.context,
                                   .environment = record.environment,
                                   .step = "mfcert-fetch",
                                   .caller = caller});
      RETURN_IF_ERROR(RefetchMinistryCertificates(*api, fetch_recorder,
                                                  record.environment));
      continue;
    }
    if (KsefAuthStatusOf(login.status()) == 550 && !retried) {
      retried = true;
      continue;
    }
    return NotInput(login.status());
  }
}

absl::StatusOr<SessionInfo> KsefSessions::Open(const OpenSessionParams& params,
                                               const SessionCaller& caller) {
  RETURN_IF_ERROR(CheckOpen(params));
  ASSIGN_OR_RETURN(KsefContext context,
                   ParseKsefContext(params.context, "context"));
  const std::string& name = params.name;
  Flight& flight = FlightOf(name);
  absl::MutexLock flight_lock(&flight.mu);

  std::int64_t version = 0;
  std::int64_t generation = 0;
  absl::StatusOr<std::pair<SessionRecord, std::int64_t>> existing = Read(name);
  if (existing.ok()) {
    if (existing->first.state != SessionState::kClosed) {
      return absl::AlreadyExistsError(absl::StrCat(
          "session \"", name, "\" is open; close it first to open it anew"));
    }
    version = existing->second;
    generation = existing->first.generation;
  } else if (existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }
  if (params.credential_kind == SessionCredentialKind::kToken) {
    // Before any KSeF call: the token exists, in this context.
    ASSIGN_OR_RETURN(vault::Token token,
                     deps_.tokens->Get(params.credential_name));
    if (token.record.context != context.ToString()) {
      return absl::NotFoundError(
          absl::StrCat("token \"", params.credential_name,
                       "\" not found in context ", context.ToString()));
    }
  }

  SessionRecord record{.credential_kind = params.credential_kind,
                       .credential_name = params.credential_name,
                       .context = context.ToString(),
                       .environment = params.environment,
                       .allowed_ips = params.allowed_ips,
                       .subject_type = params.subject_type,
                       .state = SessionState::kActive,
                       .generation = generation};
  const std::string what = absl::StrCat("open session \"", name, "\"");
  absl::StatusOr<Login> login = LogIn(name, record, "open", caller);
  if (!login.ok()) return SessionStatus(login.status(), what);

  const absl::Time now = deps_.clock->Now();
  record.reference_number = login->reference_number;
  record.login_time = now;
  record.create_time = now;
  record.update_time = now;
  const AuthTokens& tokens = login->tokens;
  absl::Status stored = SealTokens(
      name, record, tokens.access_token.token, tokens.access_token.valid_until,
      tokens.refresh_token.token, tokens.refresh_token.valid_until);
  if (stored.ok()) stored = Write(name, record, version);
  if (!stored.ok()) {
    // Nobody could use this KSeF session: end it there (best effort).
    absl::StatusOr<KsefApi*> api = deps_.apis->For(record.environment);
    if (api.ok()) {
      CallRecorder recorder(deps_.observer, deps_.clock,
                            {.session = name,
                             .context = record.context,
                             .environment = record.environment,
                             .step = "open",
                             .caller = caller});
      recorder
          .Call(
              "DELETE /auth/sessions/current", 204, record.reference_number,
              [&] {
                return (*api)->CloseCurrentSession(tokens.refresh_token.token);
              })
          .IgnoreError();
    }
    return SessionStatus(stored, what);
  }
  CacheAccess(name, tokens.access_token.token, tokens.access_token.valid_until);
  flight.last = absl::OkStatus();
  return InfoOf(name, record);
}

void KsefSessions::RecordFailure(absl::string_view name,
                                 const absl::Status& error) {
  absl::StatusOr<std::pair<SessionRecord, std::int64_t>> read = Read(name);
  if (!read.ok() || read->first.state == SessionState::kClosed) return;
  SessionRecord& record = read->first;
  const absl::Time now = deps_.clock->Now();
  record.state = SessionState::kFailing;
  record.last_error = ErrorOf(error, now);
  record.update_time = now;
  Write(name, record, read->second).IgnoreError();  // best effort
}

absl::StatusOr<AccessToken> KsefSessions::Renew(absl::string_view name,
                                                const SessionCaller& caller) {
  ASSIGN_OR_RETURN(auto read, Read(name));
  auto& [record, version] = read;
  if (record.state == SessionState::kClosed) return Closed(name);
  const absl::Time now = deps_.clock->Now();
  if (record.access->valid_until - now > options_.refresh_margin) {
    // Renewed by another process meanwhile, or a cold cache after a
    // restart.
    ASSIGN_OR_RETURN(SecretBytes access, OpenAccess(name, record));
    CacheAccess(name, access, record.access->valid_until);
    return AccessToken{.token = std::move(access),
                       .valid_until = record.access->valid_until};
  }
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(record.environment));
  if (record.refresh->valid_until - now > options_.refresh_margin) {
    ASSIGN_OR_RETURN(SecretBytes refresh, OpenRefresh(name, record));
    CallRecorder recorder(deps_.observer, deps_.clock,
                          {.session = std::string(name),
                           .context = record.context,
                           .environment = record.environment,
                           .step = "refresh",
                           .caller = caller});
    absl::StatusOr<KsefBearer> access =
        recorder.Call("POST /auth/token/refresh", 200, record.reference_number,
                      [&] { return api->Refresh(refresh); });
    if (access.ok()) {
      const absl::Time refresh_until = record.refresh->valid_until;
      RETURN_IF_ERROR(SealTokens(name, record, access->token,
                                 access->valid_until, refresh, refresh_until));
      record.state = SessionState::kActive;
      record.last_refresh_time = now;
      record.last_error.reset();
      record.update_time = now;
      RETURN_IF_ERROR(Write(name, record, version));
      CacheAccess(name, access->token, access->valid_until);
      return AccessToken{.token = std::move(access->token),
                         .valid_until = access->valid_until};
    }
    if (!IsRefusedRefresh(access.status())) return access.status();
  }
  // The refresh token is (nearly) expired or KSeF refused it: log in again
  // with the session's credential.
  ASSIGN_OR_RETURN(Login login, LogIn(name, record, "login", caller));
  const AuthTokens& tokens = login.tokens;
  absl::Status stored = SealTokens(
      name, record, tokens.access_token.token, tokens.access_token.valid_until,
      tokens.refresh_token.token, tokens.refresh_token.valid_until);
  const absl::Time done = deps_.clock->Now();
  record.state = SessionState::kActive;
  record.reference_number = login.reference_number;
  record.login_time = done;
  record.last_error.reset();
  record.update_time = done;
  if (stored.ok()) stored = Write(name, record, version);
  if (!stored.ok()) {
    CallRecorder recorder(deps_.observer, deps_.clock,
                          {.session = std::string(name),
                           .context = record.context,
                           .environment = record.environment,
                           .step = "login",
                           .caller = caller});
    recorder
        .Call("DELETE /auth/sessions/current", 204, login.reference_number,
              [&] {
                return api->CloseCurrentSession(tokens.refresh_token.token);
              })
        .IgnoreError();
    return stored;
  }
  CacheAccess(name, tokens.access_token.token, tokens.access_token.valid_until);
  return AccessToken{.token = tokens.access_token.token,
                     .valid_until = tokens.access_token.valid_until};
}

absl::StatusOr<AccessToken> KsefSessions::GetAccessToken(
    absl::string_view name, const SessionCaller& caller) {
  if (std::optional<AccessToken> cached = Cached(name)) return *cached;
  RETURN_IF_ERROR(
      TagField("name", vault::ValidateCredentialName(name, "name")));
  Flight& flight = FlightOf(name);
  const std::int64_t seen = flight.completed.load();
  absl::MutexLock lock(&flight.mu);
  if (std::optional<AccessToken> cached = Cached(name)) return *cached;
  // A renewal finished while this caller waited for it and failed: share
  // its outcome rather than start another at once.
  if (flight.completed.load() != seen && !flight.last.ok()) return flight.last;
  absl::StatusOr<AccessToken> token = Renew(name, caller);
  if (!token.ok()) {
    RecordFailure(name, token.status());  // not for a missing or closed one
    token =
        SessionStatus(token.status(), absl::StrCat("session \"", name, "\""));
  }
  flight.last = token.status();
  flight.completed.fetch_add(1);
  return token;
}

absl::StatusOr<SessionInfo> KsefSessions::Get(absl::string_view name) {
  RETURN_IF_ERROR(
      TagField("name", vault::ValidateCredentialName(name, "name")));
  ASSIGN_OR_RETURN(auto read, Read(name));
  return InfoOf(name, read.first);
}

absl::StatusOr<SessionPage> KsefSessions::List(int page_size,
                                               absl::string_view page_token) {
  if (page_size < 0) {
    return TagField("page_size", absl::InvalidArgumentError(
                                     "page_size must not be negative"));
  }
  if (page_size == 0) page_size = kDefaultSessionPageSize;
  page_size = std::min(page_size, kMaxSessionPageSize);
  if (!page_token.empty()) {
    RETURN_IF_ERROR(TagField(
        "page_token", vault::ValidateCredentialName(page_token, "page_token")));
  }
  ASSIGN_OR_RETURN(vault::ListPage chunk,
                   deps_.storage->List(kSessionRecordKind,
                                       {.start_after = std::string(page_token),
                                        .limit = page_size}));
  SessionPage page;
  for (const vault::Record& stored : chunk.records) {
    absl::StatusOr<SessionRecord> record = DecodeSessionRecord(stored.data);
    if (!record.ok()) {
      return WithContext(record.status(),
                         absl::StrCat("session \"", stored.name, "\""));
    }
    page.sessions.push_back(InfoOf(stored.name, *record));
  }
  if (chunk.next_start_after) page.next_page_token = *chunk.next_start_after;
  return page;
}

absl::StatusOr<SessionInfo> KsefSessions::Close(absl::string_view name,
                                                const SessionCaller& caller) {
  RETURN_IF_ERROR(
      TagField("name", vault::ValidateCredentialName(name, "name")));
  Flight& flight = FlightOf(name);
  absl::MutexLock lock(&flight.mu);
  ASSIGN_OR_RETURN(auto read, Read(name));
  auto& [record, version] = read;
  if (record.state == SessionState::kClosed) return InfoOf(name, record);
  const absl::Time now = deps_.clock->Now();
  // Ending it in KSeF, best effort: whatever happens there, the tokens are
  // destroyed here.
  absl::Status in_ksef = absl::OkStatus();
  if (record.refresh->valid_until > now) {
    absl::StatusOr<SecretBytes> refresh = OpenRefresh(name, record);
    absl::StatusOr<KsefApi*> api =
        refresh.ok() ? deps_.apis->For(record.environment) : refresh.status();
    if (api.ok()) {
      CallRecorder recorder(deps_.observer, deps_.clock,
                            {.session = std::string(name),
                             .context = record.context,
                             .environment = record.environment,
                             .step = "close",
                             .caller = caller});
      in_ksef = recorder.Call(
          "DELETE /auth/sessions/current", 204, record.reference_number,
          [&] { return (*api)->CloseCurrentSession(*refresh); });
    } else {
      in_ksef = api.status();
    }
  }
  record.state = SessionState::kClosed;
  record.access.reset();
  record.refresh.reset();
  record.last_error.reset();
  if (!in_ksef.ok()) {
    record.last_error = ErrorOf(
        WithContext(in_ksef,
                    "closed here; KSeF did not confirm the close (the KSeF "
                    "session ends when its refresh token expires)"),
        now);
  }
  record.update_time = now;
  RETURN_IF_ERROR(Write(name, record, version));
  Forget(name);
  return InfoOf(name, record);
}

absl::StatusOr<std::vector<signer::MinistryCertificate>>
KsefSessions::FetchMinistryCertificates(
    absl::string_view environment,
    absl::Span<const std::string> pin_fingerprints,
    const SessionCaller& caller) {
  RETURN_IF_ERROR(
      TagField("environment", signer::ValidateEnvironmentName(environment)));
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(environment));
  CallRecorder recorder(deps_.observer, deps_.clock,
                        {.environment = std::string(environment),
                         .step = "mfcert-fetch",
                         .caller = caller});
  ASSIGN_OR_RETURN(
      std::string list,
      recorder.Call("GET /security/public-key-certificates", 200, "",
                    [&] { return api->PublicKeyCertificates(); }));
  return deps_.ministry_certificates->Import(
      environment, list, signer::MinistryCertificateUsage::kKsefTokenEncryption,
      pin_fingerprints);
}

}  // namespace sejf::broker
