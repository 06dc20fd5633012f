#include "broker/lifecycle/certificate_enroller.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/sessions/call_recorder.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "signer/x509/enrollment_data.h"
#include "vault/records/credential_name.h"

namespace sejf::broker {
namespace {

constexpr absl::string_view kPolishLetters = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ";

// KSeF's certificateName rule: 5–100 characters of
// ^[a-zA-Z0-9_\- ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$.
absl::Status CheckCertificateName(absl::string_view name) {
  std::size_t characters = 0;
  bool ok = true;
  for (std::size_t i = 0; i < name.size();) {
    unsigned char c = name[i];
    if (c < 0x80) {
      ok = ok && (absl::ascii_isalnum(c) || c == '_' || c == '-' || c == ' ');
      ++i;
    } else {
      // The Polish letters are two bytes each in UTF-8.
      absl::string_view two = name.substr(i, 2);
      bool polish = false;
      for (std::size_t j = 0; j + 2 <= kPolishLetters.size(); j += 2) {
        polish = polish || kPolishLetters.substr(j, 2) == two;
      }
      ok = ok && polish && two.size() == 2;
      i += 2;
    }
    ++characters;
  }
  if (!ok || characters < 5 || characters > 100) {
    return TagField("certificate_name",
                    absl::InvalidArgumentError(
                        "certificate name must be 5 to 100 letters (Polish "
                        "letters too), digits, spaces, '_' or '-'"));
  }
  return absl::OkStatus();
}

std::string DefaultCertificateName(absl::string_view key_name) {
  return absl::StrCat("sejf-", absl::StrReplaceAll(key_name, {{".", "-"}}));
}

KsefCertificateType TypeOf(vault::KeyUsage usage) {
  return usage == vault::KeyUsage::kOffline
             ? KsefCertificateType::kOffline
             : KsefCertificateType::kAuthentication;
}

// KSeF's status words, for a failed enrollment.
std::string StatusText(const CertificateEnrollmentStatus& s) {
  std::string text = absl::StrCat("KSeF enrollment status ", s.code);
  if (!s.description.empty()) absl::StrAppend(&text, " ", s.description);
  if (!s.details.empty()) {
    absl::StrAppend(&text, " (", absl::StrJoin(s.details, "; "), ")");
  }
  return text;
}

bool HasCode(const absl::Status& status, int code) {
  std::optional<KsefError> error = KsefErrorOf(status);
  if (!error.has_value()) return false;
  for (int c : error->exception_codes) {
    if (c == code) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CertificateEnroller>>
CertificateEnroller::Create(Deps deps, Options options) {
  if (deps.sessions == nullptr || deps.apis == nullptr ||
      deps.keys == nullptr || deps.storage == nullptr ||
      deps.clock == nullptr) {
    return absl::InvalidArgumentError(
        "the certificate enroller needs sessions, APIs, key custody, storage "
        "and a clock");
  }
  if (options.poll_interval <= absl::ZeroDuration() ||
      options.wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "enrollment poll interval must be positive and the wait not negative");
  }
  return std::unique_ptr<CertificateEnroller>(
      new CertificateEnroller(deps, std::move(options)));
}

void CertificateEnroller::Sleep(absl::Duration d) const {
  if (options_.sleep) {
    options_.sleep(d);
  } else {
    absl::SleepFor(d);
  }
}

absl::Status CertificateEnroller::CheckEnroll(const EnrollParams& p) {
  RETURN_IF_ERROR(TagField(
      "key_name", vault::ValidateCredentialName(p.key_name, "key name")));
  RETURN_IF_ERROR(TagField(
      "session", vault::ValidateCredentialName(p.session, "session name")));
  if (!p.certificate_name.empty()) {
    RETURN_IF_ERROR(CheckCertificateName(p.certificate_name));
  }
  return absl::OkStatus();
}

absl::Status CertificateEnroller::CheckRevoke(const RevokeParams& p) {
  RETURN_IF_ERROR(TagField(
      "key_name", vault::ValidateCredentialName(p.key_name, "key name")));
  return TagField("session",
                  vault::ValidateCredentialName(p.session, "session name"));
}

absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>>
CertificateEnroller::Read(absl::string_view key_name) {
  ASSIGN_OR_RETURN(std::optional<vault::Record> stored,
                   deps_.storage->Get(kEnrollmentRecordKind, key_name));
  if (!stored.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("key \"", key_name, "\" has no KSeF enrollment"));
  }
  absl::StatusOr<EnrollmentRecord> record =
      DecodeEnrollmentRecord(stored->data);
  if (!record.ok()) {
    return WithContext(record.status(),
                       absl::StrCat("enrollment of key \"", key_name, "\""));
  }
  return std::make_pair(*std::move(record), stored->version);
}

absl::StatusOr<std::int64_t> CertificateEnroller::Write(
    absl::string_view key_name, const EnrollmentRecord& record,
    std::int64_t version) {
  ASSIGN_OR_RETURN(auto txn,
                   deps_.storage->Begin(vault::TransactionMode::kReadWrite));
  const std::string data = EncodeEnrollmentRecord(record);
  std::int64_t written = 0;
  if (version == 0) {
    absl::StatusOr<vault::Record> inserted =
        txn->Insert(kEnrollmentRecordKind, key_name, data);
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(absl::StrCat(
          "key \"", key_name, "\" was enrolled before (names are not reused)"));
    }
    RETURN_IF_ERROR(inserted.status());
    written = inserted->version;
  } else {
    ASSIGN_OR_RETURN(
        vault::Record updated,
        txn->Update(kEnrollmentRecordKind, key_name, version, data));
    written = updated.version;
  }
  RETURN_IF_ERROR(txn->Commit());
  return written;
}

absl::StatusOr<Enrollment> CertificateEnroller::Enroll(
    const EnrollParams& params, const SessionCaller& caller) {
  RETURN_IF_ERROR(CheckEnroll(params));
  ASSIGN_OR_RETURN(SessionInfo session, deps_.sessions->Get(params.session));
  if (session.credential_kind != SessionCredentialKind::kKey) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session \"", session.name,
        "\" logged in with a KSeF token; KSeF issues certificates only to a "
        "login with a certificate: use a session opened with --key"));
  }
  if (session.state == SessionState::kClosed) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session \"", session.name, "\" is closed; open it again"));
  }
  if (absl::StatusOr<signer::Key> existing = deps_.keys->Get(params.key_name);
      existing.ok()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "key \"", params.key_name, "\" exists; enroll under a new name"));
  } else if (existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(session.environment));
  ASSIGN_OR_RETURN(AccessToken access,
                   deps_.sessions->GetAccessToken(session.name, caller));
  CallRecorder recorder(deps_.observer, deps_.clock,
                        {.session = session.name,
                         .context = session.context,
                         .environment = session.environment,
                         .step = "enroll",
                         .caller = caller});

  ASSIGN_OR_RETURN(CertificateLimits limits,
                   recorder.Call("GET /certificates/limits", 200, "", [&] {
                     return api->CertificateLimitsOf(access.token);
                   }));
  if (!limits.can_request || limits.enrollment_remaining <= 0 ||
      limits.certificate_remaining <= 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "KSeF allows no more certificate requests for this subject: "
        "enrollment requests left ",
        limits.enrollment_remaining, " of ", limits.enrollment_limit,
        ", active certificates left ", limits.certificate_remaining, " of ",
        limits.certificate_limit,
        " (revoke certificates no longer used, or wait for the limit to "
        "renew)"));
  }
  ASSIGN_OR_RETURN(
      EnrollmentData data,
      recorder.Call("GET /certificates/enrollments/data", 200, "", [&] {
        return api->CertificateEnrollmentData(access.token);
      }));
  absl::StatusOr<signer::DistinguishedName> subject =
      signer::DistinguishedNameFromEnrollmentData(data);
  if (!subject.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("KSeF's enrollment data cannot be a subject: ",
                     subject.status().message()));
  }

  const absl::Time now = deps_.clock->Now();
  EnrollmentRecord record{
      .session = session.name,
      .environment = session.environment,
      .usage = params.usage,
      .algorithm = std::string(hsm::KeyAlgorithmName(params.algorithm)),
      .certificate_name = params.certificate_name.empty()
                              ? DefaultCertificateName(params.key_name)
                              : params.certificate_name,
      .state = EnrollmentState::kSubmitting,
      .create_time = now,
      .update_time = now};
  ASSIGN_OR_RETURN(std::int64_t version, Write(params.key_name, record, 0));
  // From here on a failure is kept in the record.
  auto fail = [&](const absl::Status& error) -> absl::Status {
    record.state = EnrollmentState::kFailed;
    record.error = std::string(error.message());
    record.update_time = deps_.clock->Now();
    (void)Write(params.key_name, record, version);
    return error;
  };
  absl::StatusOr<signer::Key> key =
      deps_.keys->Generate(params.key_name, params.algorithm, params.usage);
  if (!key.ok()) return fail(key.status());
  absl::StatusOr<signer::Csr> csr =
      deps_.keys->CreateCsr(params.key_name, *subject);
  if (!csr.ok()) return fail(csr.status());
  absl::StatusOr<CertificateEnrollmentAccepted> accepted =
      recorder.Call("POST /certificates/enrollments", 202, "", [&] {
        return api->EnrollCertificate(
            {.certificate_name = record.certificate_name,
             .type = TypeOf(params.usage),
             .csr_der = csr->der},
            access.token);
      });
  if (!accepted.ok()) return fail(accepted.status());
  record.state = EnrollmentState::kPending;
  record.reference_number = accepted->reference_number;
  record.update_time = deps_.clock->Now();
  ASSIGN_OR_RETURN(version, Write(params.key_name, record, version));

  const absl::Time deadline =
      deps_.clock->Now() +
      std::max(absl::ZeroDuration(),
               std::min(options_.wait,
                        params.max_wait.value_or(absl::InfiniteDuration())));
  for (;;) {
    absl::StatusOr<EnrollmentRecord> polled = PollOnce(params.key_name, caller);
    if (polled.ok()) record = *polled;
    if (record.state == EnrollmentState::kFailed) {
      return absl::FailedPreconditionError(
          absl::StrCat("KSeF refused the enrollment ", record.reference_number,
                       " of key \"", params.key_name, "\": ", record.error));
    }
    if (record.state != EnrollmentState::kPending ||
        deps_.clock->Now() + options_.poll_interval > deadline) {
      break;
    }
    Sleep(options_.poll_interval);
  }
  return Enrollment{.key_name = params.key_name, .record = record};
}

absl::StatusOr<EnrollmentRecord> CertificateEnroller::PollOnce(
    absl::string_view key_name, const SessionCaller& caller) {
  absl::MutexLock lock(&poll_mu_);
  ASSIGN_OR_RETURN(auto stored, Read(key_name));
  // Named, not structured, bindings: lambdas below capture them.
  EnrollmentRecord record = std::move(stored.first);
  std::int64_t version = stored.second;
  // A submitting record older than any Enroll call can run was left by a
  // process that stopped before KSeF answered.
  if (record.state == EnrollmentState::kSubmitting &&
      record.create_time + std::max(options_.wait, absl::Minutes(5)) <
          deps_.clock->Now()) {
    // Interrupted before KSeF answered (a crash): nobody knows the outcome.
    record.state = EnrollmentState::kFailed;
    record.error =
        "interrupted before KSeF answered the submission; enroll again under "
        "a new name (and destroy this key)";
    record.update_time = deps_.clock->Now();
    RETURN_IF_ERROR(Write(key_name, record, version).status());
    return record;
  }
  if (record.state != EnrollmentState::kPending) return record;

  auto keep_error = [&](const absl::Status& error) -> absl::Status {
    record.error = std::string(error.message());
    record.update_time = deps_.clock->Now();
    (void)Write(key_name, record, version);
    return error;
  };
  absl::StatusOr<SessionInfo> session = deps_.sessions->Get(record.session);
  if (!session.ok()) return keep_error(session.status());
  absl::StatusOr<KsefApi*> api = deps_.apis->For(record.environment);
  if (!api.ok()) return keep_error(api.status());
  absl::StatusOr<AccessToken> access =
      deps_.sessions->GetAccessToken(record.session, caller);
  if (!access.ok()) return keep_error(access.status());
  CallRecorder recorder(deps_.observer, deps_.clock,
                        {.session = record.session,
                         .context = session->context,
                         .environment = record.environment,
                         .step = "enroll-poll",
                         .caller = caller});
  absl::StatusOr<CertificateEnrollmentStatus> status =
      recorder.Call("GET /certificates/enrollments/{referenceNumber}", 200,
                    record.reference_number, [&] {
                      return (*api)->GetCertificateEnrollment(
                          record.reference_number, access->token);
                    });
  if (!status.ok()) {
    std::optional<KsefError> error = KsefErrorOf(status.status());
    if (error.has_value() &&
        (error->http_status == 410 || HasCode(status.status(), 25005))) {
      record.state = EnrollmentState::kFailed;
    }
    return keep_error(status.status());
  }
  if (status->code == 100) {
    record.update_time = deps_.clock->Now();
    record.error.clear();
    ASSIGN_OR_RETURN(version, Write(key_name, record, version));
    return record;
  }
  if (status->code != 200) {
    record.state = EnrollmentState::kFailed;
    record.error = StatusText(*status);
    record.update_time = deps_.clock->Now();
    RETURN_IF_ERROR(Write(key_name, record, version).status());
    return record;
  }
  absl::StatusOr<std::vector<RetrievedCertificate>> certificates =
      recorder.Call("POST /certificates/retrieve", 200, record.reference_number,
                    [&] {
                      return (*api)->RetrieveCertificates(
                          {status->serial_number}, access->token);
                    });
  if (!certificates.ok()) return keep_error(certificates.status());
  const RetrievedCertificate* mine = nullptr;
  for (const RetrievedCertificate& c : *certificates) {
    if (c.serial_number == status->serial_number) mine = &c;
  }
  if (mine == nullptr) {
    return keep_error(absl::UnavailableError(absl::StrCat(
        "KSeF did not return certificate ", status->serial_number, " yet")));
  }
  absl::StatusOr<signer::Key> key =
      deps_.keys->AttachCertificate(key_name, mine->der);
  if (!key.ok()) {
    if (key.status().code() == absl::StatusCode::kFailedPrecondition ||
        key.status().code() == absl::StatusCode::kInvalidArgument) {
      record.state = EnrollmentState::kFailed;
    }
    return keep_error(
        WithContext(key.status(), absl::StrCat("the certificate KSeF issued (",
                                               status->serial_number, ")")));
  }
  record.state = EnrollmentState::kCompleted;
  record.serial = status->serial_number;
  record.error.clear();
  record.ksef_status = "Active";
  record.ksef_status_time = deps_.clock->Now();
  record.update_time = deps_.clock->Now();
  RETURN_IF_ERROR(Write(key_name, record, version).status());
  return record;
}

absl::StatusOr<std::optional<Enrollment>> CertificateEnroller::Get(
    absl::string_view key_name) {
  absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>> stored =
      Read(key_name);
  if (stored.status().code() == absl::StatusCode::kNotFound) {
    return std::optional<Enrollment>();
  }
  if (!stored.ok()) return stored.status();
  return std::optional<Enrollment>(Enrollment{
      .key_name = std::string(key_name), .record = std::move(stored->first)});
}

absl::StatusOr<std::vector<std::string>> CertificateEnroller::AllNames() {
  std::vector<std::string> names;
  vault::ListOptions options{.limit = vault::kMaxListLimit};
  for (;;) {
    ASSIGN_OR_RETURN(vault::ListPage page,
                     deps_.storage->List(kEnrollmentRecordKind, options));
    for (const vault::Record& r : page.records) names.push_back(r.name);
    if (!page.next_start_after.has_value()) break;
    options.start_after = *page.next_start_after;
  }
  return names;
}

absl::Status CertificateEnroller::ResumePending() {
  ASSIGN_OR_RETURN(std::vector<std::string> names, AllNames());
  absl::Status first;
  for (const std::string& name : names) {
    absl::StatusOr<EnrollmentRecord> record = PollOnce(name, {});
    if (!record.ok() && first.ok()) first = record.status();
  }
  return first;
}

absl::Status CertificateEnroller::RefreshStatuses() {
  ASSIGN_OR_RETURN(std::vector<std::string> names, AllNames());
  absl::Status first;
  auto note = [&](const absl::Status& s) {
    if (!s.ok() && first.ok()) first = s;
  };
  for (const std::string& name : names) {
    absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>> stored =
        Read(name);
    if (!stored.ok()) {
      note(stored.status());
      continue;
    }
    EnrollmentRecord& record = stored->first;
    if (record.state != EnrollmentState::kCompleted || record.serial.empty() ||
        record.ksef_status == "Revoked" || record.ksef_status == "Expired") {
      continue;
    }
    absl::StatusOr<SessionInfo> session = deps_.sessions->Get(record.session);
    if (!session.ok() || session->state == SessionState::kClosed) {
      continue;  // nothing to ask KSeF with; the next round tries again
    }
    absl::StatusOr<KsefApi*> api = deps_.apis->For(record.environment);
    absl::StatusOr<AccessToken> access =
        api.ok() ? deps_.sessions->GetAccessToken(record.session)
                 : absl::StatusOr<AccessToken>(api.status());
    if (!access.ok()) {
      note(access.status());
      continue;
    }
    CallRecorder recorder(deps_.observer, deps_.clock,
                          {.session = record.session,
                           .context = session->context,
                           .environment = record.environment,
                           .step = "cert-status"});
    absl::StatusOr<CertificatePage> page =
        recorder.Call("POST /certificates/query", 200, "", [&] {
          return (*api)->QueryCertificates(
              {.serial_number = record.serial, .page_size = 10}, access->token);
        });
    if (!page.ok()) {
      note(page.status());
      continue;
    }
    for (const CertificateListItem& item : page->certificates) {
      if (item.serial_number != record.serial) continue;
      record.ksef_status = item.status;
      record.ksef_status_time = deps_.clock->Now();
      note(Write(name, record, stored->second).status());
      if (item.status != "Active") {
        absl::StatusOr<signer::Key> key = deps_.keys->Get(name);
        if (key.ok() && key->record.state == vault::CredentialState::kActive) {
          note(deps_.keys->Disable(name).status());
        }
      }
    }
  }
  return first;
}

absl::StatusOr<RevokeResult> CertificateEnroller::Revoke(
    const RevokeParams& params, const SessionCaller& caller) {
  RETURN_IF_ERROR(CheckRevoke(params));
  ASSIGN_OR_RETURN(signer::Key key, deps_.keys->Get(params.key_name));
  if (!key.record.certificate.has_value() ||
      key.record.certificate->serial.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key \"", params.key_name, "\" has no certificate to revoke"));
  }
  const std::string serial = key.record.certificate->serial;
  ASSIGN_OR_RETURN(SessionInfo session, deps_.sessions->Get(params.session));
  ASSIGN_OR_RETURN(KsefApi * api, deps_.apis->For(session.environment));
  ASSIGN_OR_RETURN(AccessToken access,
                   deps_.sessions->GetAccessToken(session.name, caller));
  CallRecorder recorder(deps_.observer, deps_.clock,
                        {.session = session.name,
                         .context = session.context,
                         .environment = session.environment,
                         .step = "revoke",
                         .caller = caller});
  absl::Status revoked = recorder.Call(
      "POST /certificates/{certificateSerialNumber}/revoke", 204, serial, [&] {
        return api->RevokeCertificate(serial, params.reason, access.token);
      });
  if (!revoked.ok() && !HasCode(revoked, 25009)) {
    return WithContext(
        revoked, absl::StrCat("revoking certificate ", serial, " of key \"",
                              params.key_name, "\""));
  }
  RevokeResult result;
  ASSIGN_OR_RETURN(result.key, deps_.keys->Disable(params.key_name));
  if (absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>> stored =
          Read(params.key_name);
      stored.ok()) {
    stored->first.ksef_status = "Revoked";
    stored->first.ksef_status_time = deps_.clock->Now();
    (void)Write(params.key_name, stored->first, stored->second);
  }
  // Every session logged in with the key: closed in KSeF and in sejf.
  absl::Status first;
  std::string page_token;
  do {
    ASSIGN_OR_RETURN(SessionPage page,
                     deps_.sessions->List(kMaxSessionPageSize, page_token));
    for (const SessionInfo& s : page.sessions) {
      if (s.credential_kind != SessionCredentialKind::kKey ||
          s.credential_name != params.key_name ||
          s.state == SessionState::kClosed) {
        continue;
      }
      absl::StatusOr<SessionInfo> closed =
          deps_.sessions->Close(s.name, caller);
      if (!closed.ok()) {
        if (first.ok()) first = closed.status();
        continue;
      }
      // KSeF did not confirm the close with the session's own refresh
      // token: end it by its reference number with S's access token.
      if (closed->last_error.has_value() && !s.reference_number.empty() &&
          s.environment == session.environment) {
        (void)recorder.Call("DELETE /auth/sessions/{referenceNumber}", 204,
                            s.reference_number, [&] {
                              return api->CloseSession(s.reference_number,
                                                       access.token);
                            });
      }
      result.closed_sessions.push_back(s.name);
    }
    page_token = page.next_page_token;
  } while (!page_token.empty());
  if (!first.ok()) {
    return WithContext(
        first, absl::StrCat("certificate ", serial, " is revoked and key \"",
                            params.key_name,
                            "\" disabled, but closing its "
                            "sessions failed"));
  }
  return result;
}

}  // namespace sejf::broker
