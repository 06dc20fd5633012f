#include "broker/sessions/ksef_sessions.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/sessions/ministry_list.h"
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

absl::Status SessionNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("session \"", name, "\" not found"));
}

// GetAccessToken puts the session's name before it.
absl::Status Closed() {
  return absl::FailedPreconditionError(
      "closed; open it again with sejf session open");
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

}  // namespace

// One session's renewals: `mu` is held for the whole of an open, renewal or
// close; `completed` counts renewals finished, `last` is the last one's
// outcome, so a caller that waited for a renewal shares its result.
struct KsefSessions::Flight {
  absl::Mutex mu;
  std::atomic<std::int64_t> completed = 0;
  absl::Status last ABSL_GUARDED_BY(mu);
};

KsefSessions::KsefSessions(Deps deps, Options options)
    : deps_(deps),
      options_(options),
      login_({.tokens = deps.tokens,
              .signer = deps.signer,
              .encryptor = deps.encryptor,
              .ministry_certificates = deps.ministry_certificates,
              .clock = deps.clock,
              .observer = deps.observer},
             {.poll_interval = options.poll_interval,
              .poll_timeout = options.poll_timeout,
              .sleep = options.sleep}) {}

absl::StatusOr<KsefLoginResult> KsefSessions::LogIn(
    absl::string_view name, const SessionRecord& record, absl::string_view step,
    const SessionCaller& caller) {
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(record.environment));
  absl::StatusOr<KsefLoginResult> result =
      login_.Run(*api, name, record, step, caller);
  if (!result.ok() && options_.on_token_refused &&
      record.credential_kind == SessionCredentialKind::kToken &&
      KsefAuthStatusOf(result.status()) == 450) {
    options_.on_token_refused(record.credential_name);  // issue 14
  }
  return result;
}

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

std::optional<CachedAccess> KsefSessions::CachedAccessToken(
    absl::string_view name) {
  const absl::Time now = deps_.clock->Now();
  std::optional<CachedAccess> cached;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = cache_.find(name);
    if (it == cache_.end() ||
        it->second.valid_until - now <= options_.refresh_margin) {
      return std::nullopt;
    }
    cached = CachedAccess{.context = it->second.context,
                          .token = {.token = it->second.token,
                                    .valid_until = it->second.valid_until}};
  }
  // Only while the stored session still holds this token (one point read):
  // a session closed, renewed or opened anew through another sejfd on the
  // same storage (replicas, docs/replicas.md) is seen at once. Anything
  // else, a read failure included, leaves it to the caller's slow path.
  absl::StatusOr<std::optional<vault::Record>> stored =
      deps_.storage->Get(kSessionRecordKind, name);
  if (!stored.ok()) return std::nullopt;
  absl::StatusOr<SessionRecord> record =
      stored->has_value() ? DecodeSessionRecord((*stored)->data)
                          : absl::NotFoundError("no session record");
  if (!record.ok() || record->state == SessionState::kClosed ||
      !record->access.has_value() ||
      // Stored with microsecond precision.
      absl::ToUnixMicros(record->access->valid_until) !=
          absl::ToUnixMicros(cached->token.valid_until)) {
    Forget(name);
    return std::nullopt;
  }
  return cached;
}

std::optional<AccessToken> KsefSessions::Cached(absl::string_view name) {
  std::optional<CachedAccess> cached = CachedAccessToken(name);
  if (!cached) return std::nullopt;
  return std::move(cached->token);
}

void KsefSessions::CacheAccess(absl::string_view name,
                               const std::string& context,
                               const SecretBytes& token,
                               absl::Time valid_until) {
  absl::MutexLock lock(&mu_);
  cache_[name] = CachedToken{
      .context = context, .token = token, .valid_until = valid_until};
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
                   .key_certificate_sha256 = r.key_certificate_sha256,
                   .login_time = r.login_time,
                   .last_refresh_time = r.last_refresh_time,
                   .last_error = r.last_error,
                   .create_time = r.create_time,
                   .update_time = r.update_time};
  if (r.access) info.access_valid_until = r.access->valid_until;
  if (r.refresh) info.refresh_valid_until = r.refresh->valid_until;
  return info;
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
    // Before any KSeF call: the token exists, in this context. A missing
    // token and one in another context get the same answer, so a caller
    // allowed in this context learns nothing of other contexts' tokens.
    absl::StatusOr<vault::Token> token =
        deps_.tokens->Get(params.credential_name);
    if (absl::IsNotFound(token.status()) ||
        (token.ok() && token->record.context != context.ToString())) {
      return absl::NotFoundError(
          absl::StrCat("token \"", params.credential_name,
                       "\" not found in context ", context.ToString()));
    }
    RETURN_IF_ERROR(token.status());
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
  absl::StatusOr<KsefLoginResult> login = LogIn(name, record, "open", caller);
  if (!login.ok()) return SessionStatus(login.status(), what);

  const absl::Time now = deps_.clock->Now();
  record.reference_number = login->reference_number;
  record.key_certificate_sha256 = login->key_certificate_sha256;
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
    EndInKsef(name, record, tokens.refresh_token.token, "open", caller)
        .IgnoreError();
    return SessionStatus(stored, what);
  }
  CacheAccess(name, record.context, tokens.access_token.token,
              tokens.access_token.valid_until);
  flight.last = absl::OkStatus();
  return InfoOf(name, record);
}

absl::Status KsefSessions::EndInKsef(absl::string_view name,
                                     const SessionRecord& record,
                                     const SecretBytes& refresh_token,
                                     absl::string_view step,
                                     const SessionCaller& caller) {
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(record.environment));
  CallRecorder recorder = CallRecorder::ForSession(deps_.observer, deps_.clock,
                                                   name, record, step, caller);
  return recorder.Call("DELETE /auth/sessions/current", 204,
                       record.reference_number,
                       [&] { return api->CloseCurrentSession(refresh_token); });
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
  if (record.state == SessionState::kClosed) return Closed();
  const absl::Time now = deps_.clock->Now();
  if (record.access->valid_until - now > options_.refresh_margin) {
    // Renewed by another process meanwhile, or a cold cache after a
    // restart.
    ASSIGN_OR_RETURN(SecretBytes access, OpenAccess(name, record));
    CacheAccess(name, record.context, access, record.access->valid_until);
    return AccessToken{.token = std::move(access),
                       .valid_until = record.access->valid_until};
  }
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(record.environment));
  if (record.refresh->valid_until - now > options_.refresh_margin) {
    ASSIGN_OR_RETURN(SecretBytes refresh, OpenRefresh(name, record));
    CallRecorder recorder = CallRecorder::ForSession(
        deps_.observer, deps_.clock, name, record, "refresh", caller);
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
      CacheAccess(name, record.context, access->token, access->valid_until);
      return AccessToken{.token = std::move(access->token),
                         .valid_until = access->valid_until};
    }
    if (!IsRefusedRefresh(access.status())) return access.status();
  }
  // The refresh token is (nearly) expired or KSeF refused it: log in again
  // with the session's credential.
  ASSIGN_OR_RETURN(KsefLoginResult login, LogIn(name, record, "login", caller));
  const AuthTokens& tokens = login.tokens;
  absl::Status stored = SealTokens(
      name, record, tokens.access_token.token, tokens.access_token.valid_until,
      tokens.refresh_token.token, tokens.refresh_token.valid_until);
  const absl::Time done = deps_.clock->Now();
  record.state = SessionState::kActive;
  record.reference_number = login.reference_number;
  record.key_certificate_sha256 = login.key_certificate_sha256;
  record.login_time = done;
  record.last_error.reset();
  record.update_time = done;
  if (stored.ok()) stored = Write(name, record, version);
  if (!stored.ok()) {
    EndInKsef(name, record, tokens.refresh_token.token, "login", caller)
        .IgnoreError();
    return stored;
  }
  CacheAccess(name, record.context, tokens.access_token.token,
              tokens.access_token.valid_until);
  return AccessToken{.token = tokens.access_token.token,
                     .valid_until = tokens.access_token.valid_until};
}

absl::StatusOr<AccessToken> KsefSessions::GetAccessToken(
    absl::string_view name, const SessionCaller& caller) {
  if (std::optional<AccessToken> cached = Cached(name)) return *cached;
  RETURN_IF_ERROR(
      TagField("name", vault::ValidateCredentialName(name, "name")));
  // Flights exist only for names that have (had) a session: asking for
  // made-up names costs a read, never memory.
  ASSIGN_OR_RETURN(std::optional<vault::Record> stored,
                   deps_.storage->Get(kSessionRecordKind, name));
  if (!stored.has_value()) return SessionNotFound(name);
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
  // As in GetAccessToken: closing made-up names costs a read, never a
  // flight (the map of flights only holds names that have had a session).
  ASSIGN_OR_RETURN(std::optional<vault::Record> stored,
                   deps_.storage->Get(kSessionRecordKind, name));
  if (!stored.has_value()) return SessionNotFound(name);
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
    in_ksef = refresh.ok() ? EndInKsef(name, record, *refresh, "close", caller)
                           : refresh.status();
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
    absl::Span<const std::string> pin_fingerprints, const SessionCaller& caller,
    absl::string_view step) {
  RETURN_IF_ERROR(
      TagField("environment", signer::ValidateEnvironmentName(environment)));
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(environment));
  CallRecorder recorder(deps_.observer, deps_.clock,
                        {.environment = std::string(environment),
                         .step = std::string(step),
                         .caller = caller});
  ASSIGN_OR_RETURN(
      signer::MinistryCertificateRefresh refresh,
      FetchMinistryCertificateList(*api, recorder, *deps_.ministry_certificates,
                                   deps_.observer,
                                   {.environment = std::string(environment),
                                    .step = std::string(step),
                                    .caller = caller},
                                   pin_fingerprints));
  return std::move(refresh.certificates);
}

}  // namespace sejf::broker
