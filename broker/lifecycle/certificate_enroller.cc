#include "broker/lifecycle/certificate_enroller.h"

#include <algorithm>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
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

absl::Status NotEnrolled(absl::string_view key_name) {
  return absl::FailedPreconditionError(absl::StrCat(
      "key \"", key_name,
      "\" was not enrolled through KSeF (sejf key enroll); only enrolled "
      "keys are renewed"));
}

// 1 for "NAME", k for "NAME@k".
int VersionOf(absl::string_view name) {
  std::optional<signer::KeyVersionRef> ref = signer::ParseKeyVersionName(name);
  return ref.has_value() ? ref->version : 1;
}

// Disables exactly the version `name` names (never the other versions).
absl::StatusOr<signer::Key> DisableExactly(signer::KeyCustody& keys,
                                           absl::string_view name) {
  std::optional<signer::KeyVersionRef> ref = signer::ParseKeyVersionName(name);
  if (!ref.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" is not a key name"));
  }
  return keys.DisableVersion(ref->base, ref->version);
}

// A session KSeF issues certificates through: logged in with a key, open.
absl::Status CheckKeySession(const SessionInfo& session) {
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
  return absl::OkStatus();
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
  if (p.renew_before_days.has_value()) {
    RETURN_IF_ERROR(CheckRenewBeforeDays(*p.renew_before_days));
  }
  return absl::OkStatus();
}

absl::Status CertificateEnroller::CheckRenewBeforeDays(int days) {
  if (days < 0 || days > kMaxRenewBeforeDays) {
    return TagField("renew_before_days",
                    absl::InvalidArgumentError(absl::StrCat(
                        "renew_before_days must be 0 (never renew) to ",
                        kMaxRenewBeforeDays)));
  }
  return absl::OkStatus();
}

absl::Status CertificateEnroller::CheckRenew(const RenewParams& p) {
  RETURN_IF_ERROR(TagField(
      "key_name", vault::ValidateCredentialName(p.key_name, "key name")));
  if (!p.session.empty()) {
    RETURN_IF_ERROR(TagField(
        "session", vault::ValidateCredentialName(p.session, "session name")));
  }
  if (p.renew_before_days.has_value()) {
    RETURN_IF_ERROR(CheckRenewBeforeDays(*p.renew_before_days));
  }
  return absl::OkStatus();
}

absl::Status CertificateEnroller::CheckRevoke(const RevokeParams& p) {
  RETURN_IF_ERROR(TagField(
      "key_name", vault::ValidateCredentialName(p.key_name, "key name")));
  if (p.version < 0 || p.version > vault::kMaxKeyVersion) {
    return TagField("version", absl::InvalidArgumentError(absl::StrCat(
                                   "version must be 1 to ",
                                   vault::kMaxKeyVersion, " (0: every one)")));
  }
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
  RETURN_IF_ERROR(CheckKeySession(session));
  if (absl::StatusOr<signer::Key> existing = deps_.keys->Get(params.key_name);
      existing.ok()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "key \"", params.key_name, "\" exists; enroll under a new name"));
  } else if (existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }
  Submission submission{
      .usage = params.usage,
      .algorithm = params.algorithm,
      .certificate_name = params.certificate_name.empty()
                              ? DefaultCertificateName(params.key_name)
                              : params.certificate_name,
      .renew_before_days =
          params.renew_before_days.value_or(kDefaultRenewBeforeDays),
      .max_wait = params.max_wait,
      .reserve = [&]() -> absl::StatusOr<std::pair<std::string, int>> {
        return std::make_pair(params.key_name, 1);
      },
      .generate =
          [&](absl::string_view) {
            return deps_.keys->Generate(params.key_name, params.algorithm,
                                        params.usage);
          }};
  return Submit(session, submission, caller);
}

absl::StatusOr<Enrollment> CertificateEnroller::Submit(
    const SessionInfo& session, const Submission& submission,
    const SessionCaller& caller) {
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
  ASSIGN_OR_RETURN(auto reserved, submission.reserve());
  const std::string key_name = reserved.first;

  const absl::Time now = deps_.clock->Now();
  EnrollmentRecord record{
      .session = session.name,
      .environment = session.environment,
      .usage = submission.usage,
      .algorithm = std::string(hsm::KeyAlgorithmName(submission.algorithm)),
      .certificate_name = submission.certificate_name,
      .state = EnrollmentState::kSubmitting,
      .create_time = now,
      .update_time = now,
      .version = reserved.second,
      .renew_before_days =
          reserved.second == 1 ? submission.renew_before_days : std::nullopt};
  ASSIGN_OR_RETURN(std::int64_t version, Write(key_name, record, 0));
  // From here on a failure is kept in the record.
  auto fail = [&](const absl::Status& error) -> absl::Status {
    record.state = EnrollmentState::kFailed;
    record.error = std::string(error.message());
    record.update_time = deps_.clock->Now();
    (void)Write(key_name, record, version);
    return error;
  };
  absl::StatusOr<signer::Key> key = submission.generate(key_name);
  if (!key.ok()) return fail(key.status());
  absl::StatusOr<signer::Csr> csr = deps_.keys->CreateCsr(key_name, *subject);
  if (!csr.ok()) return fail(csr.status());
  absl::StatusOr<CertificateEnrollmentAccepted> accepted =
      recorder.Call("POST /certificates/enrollments", 202, "", [&] {
        return api->EnrollCertificate(
            access.token, {.certificate_name = record.certificate_name,
                           .type = TypeOf(submission.usage),
                           .csr_der = csr->der});
      });
  if (!accepted.ok()) {
    std::optional<KsefError> ksef = KsefErrorOf(accepted.status());
    if (!ksef.has_value() || !ksef->outcome_unknown) {
      return fail(accepted.status());
    }
    // KSeF may hold the enrollment without sejf knowing its reference
    // number: as after a crash at this step, the record stays submitting
    // (ResumePending marks it failed once no Enroll can still be running).
    record.error = std::string(accepted.status().message());
    record.update_time = deps_.clock->Now();
    (void)Write(key_name, record, version);
    return absl::Status(
        accepted.status().code(),
        absl::StrCat("enrollment of key \"", key_name,
                     "\" (certificate name \"", record.certificate_name,
                     "\") stays submitting: ", accepted.status().message()));
  }
  record.state = EnrollmentState::kPending;
  record.reference_number = accepted->reference_number;
  record.update_time = deps_.clock->Now();
  ASSIGN_OR_RETURN(version, Write(key_name, record, version));

  const absl::Time deadline =
      deps_.clock->Now() +
      std::max(absl::ZeroDuration(),
               std::min(options_.wait, submission.max_wait.value_or(
                                           absl::InfiniteDuration())));
  for (;;) {
    absl::StatusOr<EnrollmentRecord> polled = PollOnce(key_name, caller);
    if (polled.ok()) record = *polled;
    if (record.state == EnrollmentState::kFailed) {
      return absl::FailedPreconditionError(
          absl::StrCat("KSeF refused the enrollment ", record.reference_number,
                       " of key \"", key_name, "\": ", record.error));
    }
    if (record.state != EnrollmentState::kPending ||
        deps_.clock->Now() + options_.poll_interval > deadline) {
      break;
    }
    Sleep(options_.poll_interval);
  }
  return Enrollment{.key_name = key_name, .record = record};
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
    // Interrupted before KSeF answered (a crash), or its answer was lost
    // (the error kept): nobody knows the outcome.
    record.state = EnrollmentState::kFailed;
    record.error = absl::StrCat(
        record.error.empty() ? "interrupted before KSeF answered the submission"
                             : "KSeF's answer to the submission was lost",
        "; KSeF may have accepted it: look for certificate \"",
        record.certificate_name,
        "\" in KSeF's certificate list and revoke it there if it was issued; "
        "enroll again under a new name (and destroy this key)");
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
                          access->token, record.reference_number);
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
                          access->token, {status->serial_number});
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
      // Closed since: any open session on the key asks instead.
      std::optional<signer::KeyVersionRef> ref =
          signer::ParseKeyVersionName(name);
      absl::StatusOr<std::optional<SessionInfo>> other =
          ref.has_value()
              ? OpenSessionOn(ref->base, record.environment)
              : absl::StatusOr<std::optional<SessionInfo>>(std::nullopt);
      if (!other.ok() || !other->has_value()) {
        continue;  // nothing to ask KSeF with; the next round tries again
      }
      session = **other;
    }
    absl::StatusOr<KsefApi*> api = deps_.apis->For(record.environment);
    absl::StatusOr<AccessToken> access =
        api.ok() ? deps_.sessions->GetAccessToken(session->name)
                 : absl::StatusOr<AccessToken>(api.status());
    if (!access.ok()) {
      note(access.status());
      continue;
    }
    CallRecorder recorder(deps_.observer, deps_.clock,
                          {.session = session->name,
                           .context = session->context,
                           .environment = record.environment,
                           .step = "cert-status"});
    absl::StatusOr<CertificatePage> page =
        recorder.Call("POST /certificates/query", 200, "", [&] {
          return (*api)->QueryCertificates(
              access->token, {.serial_number = record.serial, .page_size = 10});
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
          note(DisableExactly(*deps_.keys, name).status());
        }
      }
    }
  }
  return first;
}

absl::StatusOr<std::string> CertificateEnroller::RevokeOne(
    const signer::Key& version, KsefApi& api, const AccessToken& access,
    CallRecorder& recorder, CertificateRevocationReason reason) {
  const std::string serial = version.record.certificate->serial;
  absl::Status revoked = recorder.Call(
      "POST /certificates/{certificateSerialNumber}/revoke", 204, serial,
      [&] { return api.RevokeCertificate(access.token, serial, reason); });
  if (!revoked.ok() && !HasCode(revoked, 25009)) {
    return WithContext(revoked, absl::StrCat("revoking certificate ", serial,
                                             " of key \"", version.name, "\""));
  }
  RETURN_IF_ERROR(DisableExactly(*deps_.keys, version.name).status());
  if (absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>> stored =
          Read(version.name);
      stored.ok()) {
    stored->first.ksef_status = "Revoked";
    stored->first.ksef_status_time = deps_.clock->Now();
    (void)Write(version.name, stored->first, stored->second);
  }
  return version.record.certificate->sha256_fingerprint;
}

absl::StatusOr<RevokeResult> CertificateEnroller::Revoke(
    const RevokeParams& params, const SessionCaller& caller) {
  RETURN_IF_ERROR(CheckRevoke(params));
  ASSIGN_OR_RETURN(std::vector<signer::Key> versions,
                   deps_.keys->Versions(params.key_name));
  std::vector<signer::Key> targets;
  if (params.version > 0) {
    for (const signer::Key& v : versions) {
      if (signer::KeyVersionName(params.key_name, params.version) == v.name) {
        targets.push_back(v);
      }
    }
    if (targets.empty()) {
      return absl::NotFoundError(absl::StrCat(
          "key \"", params.key_name, "\" has no version ", params.version));
    }
    if (!targets[0].record.certificate.has_value() ||
        targets[0].record.certificate->serial.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("version ", params.version, " of key \"",
                       params.key_name, "\" has no certificate to revoke"));
    }
  } else {
    for (const signer::Key& v : versions) {
      if (!v.record.certificate.has_value() ||
          v.record.certificate->serial.empty()) {
        continue;
      }
      // A later version already revoked in KSeF is left out; version 1 is
      // asked again as before versions existed (25009 is not an error).
      absl::StatusOr<std::optional<Enrollment>> e = Get(v.name);
      if (v.name != params.key_name && e.ok() && e->has_value() &&
          (*e)->record.ksef_status == "Revoked") {
        continue;
      }
      targets.push_back(v);
    }
    if (targets.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "key \"", params.key_name, "\" has no certificate to revoke"));
    }
  }
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
  std::vector<std::string> fingerprints;
  std::vector<std::string> serials;
  for (const signer::Key& target : targets) {
    ASSIGN_OR_RETURN(std::string fingerprint,
                     RevokeOne(target, *api, access, recorder, params.reason));
    fingerprints.push_back(std::move(fingerprint));
    serials.push_back(target.record.certificate->serial);
  }
  RevokeResult result;
  if (params.version > 0) {
    ASSIGN_OR_RETURN(result.key, deps_.keys->Get(targets[0].name));
  } else {
    // The credential's kill switch: every version, pending ones too.
    ASSIGN_OR_RETURN(result.key, deps_.keys->Disable(params.key_name));
  }
  auto logged_in_with_revoked = [&](const SessionInfo& s) {
    if (params.version == 0 || s.key_certificate_sha256.empty()) return true;
    return absl::c_linear_search(fingerprints, s.key_certificate_sha256);
  };
  // Every session logged in with what was revoked: closed in KSeF and in
  // sejf.
  absl::Status first;
  std::string page_token;
  do {
    ASSIGN_OR_RETURN(SessionPage page,
                     deps_.sessions->List(kMaxSessionPageSize, page_token));
    for (const SessionInfo& s : page.sessions) {
      if (s.credential_kind != SessionCredentialKind::kKey ||
          s.credential_name != params.key_name ||
          s.state == SessionState::kClosed || !logged_in_with_revoked(s)) {
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
                              return api->CloseSession(access.token,
                                                       s.reference_number);
                            });
      }
      result.closed_sessions.push_back(s.name);
    }
    page_token = page.next_page_token;
  } while (!page_token.empty());
  if (!first.ok()) {
    return WithContext(
        first, absl::StrCat("certificate ", absl::StrJoin(serials, ", "),
                            " revoked and key \"", params.key_name,
                            "\" disabled, but closing its sessions failed"));
  }
  return result;
}

absl::StatusOr<EnrollmentRecord> CertificateEnroller::SetRenewBeforeDays(
    absl::string_view key_name, int days) {
  RETURN_IF_ERROR(CheckRenewBeforeDays(days));
  RETURN_IF_ERROR(TagField(
      "key_name", vault::ValidateCredentialName(key_name, "key name")));
  absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>> stored =
      Read(key_name);
  if (absl::IsNotFound(stored.status())) return NotEnrolled(key_name);
  RETURN_IF_ERROR(stored.status());
  stored->first.renew_before_days = days;
  stored->first.update_time = deps_.clock->Now();
  RETURN_IF_ERROR(Write(key_name, stored->first, stored->second).status());
  return stored->first;
}

absl::StatusOr<std::optional<SessionInfo>> CertificateEnroller::OpenSessionOn(
    absl::string_view key_name, absl::string_view environment) {
  std::string page_token;
  do {
    ASSIGN_OR_RETURN(SessionPage page,
                     deps_.sessions->List(kMaxSessionPageSize, page_token));
    for (const SessionInfo& s : page.sessions) {
      if (s.credential_kind == SessionCredentialKind::kKey &&
          s.credential_name == key_name && s.state != SessionState::kClosed &&
          s.environment == environment) {
        return std::optional<SessionInfo>(s);
      }
    }
    page_token = page.next_page_token;
  } while (!page_token.empty());
  return std::optional<SessionInfo>();
}

absl::StatusOr<SessionInfo> CertificateEnroller::RenewalSession(
    absl::string_view key_name, const EnrollmentRecord& first,
    absl::string_view named, const SessionCaller& caller) {
  if (!named.empty()) {
    ASSIGN_OR_RETURN(SessionInfo s, deps_.sessions->Get(named));
    RETURN_IF_ERROR(CheckKeySession(s));
    if (s.credential_name != key_name) {
      return absl::FailedPreconditionError(absl::StrCat(
          "session \"", s.name, "\" is logged in with key \"",
          s.credential_name, "\", not \"", key_name,
          "\"; a key is renewed through a session logged in with it (or "
          "leave --session out: sejfd opens one)"));
    }
    return s;
  }
  ASSIGN_OR_RETURN(std::optional<SessionInfo> open,
                   OpenSessionOn(key_name, first.environment));
  if (open.has_value()) return *open;
  // None: one of its own, in the context the key was enrolled in.
  absl::StatusOr<SessionInfo> enrolled_with =
      deps_.sessions->Get(first.session);
  if (!enrolled_with.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no open session is logged in with key \"", key_name,
        "\" and the session it was enrolled through (\"", first.session,
        "\") is gone, so its context is unknown: open one with sejf session "
        "open --key ",
        key_name));
  }
  std::string name = absl::StrCat("renew-", key_name);
  if (name.size() > vault::kMaxCredentialNameSize) {
    name.resize(vault::kMaxCredentialNameSize);
  }
  return deps_.sessions->Open({.name = name,
                               .credential_kind = SessionCredentialKind::kKey,
                               .credential_name = std::string(key_name),
                               .context = enrolled_with->context,
                               .environment = first.environment},
                              caller);
}

absl::Status CertificateEnroller::NotEnrolledError(absl::string_view key_name) {
  return NotEnrolled(key_name);
}

absl::StatusOr<std::optional<std::string>> CertificateEnroller::RenewalContext(
    absl::string_view key_name) {
  absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>> first =
      Read(key_name);
  if (absl::IsNotFound(first.status())) return NotEnrolled(key_name);
  RETURN_IF_ERROR(first.status());
  // As RenewalSession picks the session.
  ASSIGN_OR_RETURN(std::optional<SessionInfo> open,
                   OpenSessionOn(key_name, first->first.environment));
  if (open.has_value()) return std::optional<std::string>(open->context);
  absl::StatusOr<SessionInfo> enrolled_with =
      deps_.sessions->Get(first->first.session);
  if (enrolled_with.ok()) {
    return std::optional<std::string>(enrolled_with->context);
  }
  if (!absl::IsNotFound(enrolled_with.status())) {
    return enrolled_with.status();
  }
  return std::optional<std::string>();
}

absl::StatusOr<Enrollment> CertificateEnroller::Renew(
    const RenewParams& params, const SessionCaller& caller) {
  RETURN_IF_ERROR(CheckRenew(params));
  absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>> first =
      Read(params.key_name);
  if (absl::IsNotFound(first.status())) return NotEnrolled(params.key_name);
  RETURN_IF_ERROR(first.status());
  ASSIGN_OR_RETURN(signer::Key base, deps_.keys->Get(params.key_name));
  if (base.record.state == vault::CredentialState::kDestroyed) {
    return absl::FailedPreconditionError(
        absl::StrCat("key \"", params.key_name, "\" is destroyed"));
  }
  if (params.renew_before_days.has_value()) {
    RETURN_IF_ERROR(
        SetRenewBeforeDays(params.key_name, *params.renew_before_days)
            .status());
  }
  // A renewal under way is answered as it is.
  for (int v = base.record.latest_version; v >= 2; --v) {
    ASSIGN_OR_RETURN(std::optional<Enrollment> e,
                     Get(signer::KeyVersionName(params.key_name, v)));
    if (!e.has_value()) continue;
    if (e->record.state == EnrollmentState::kPending ||
        e->record.state == EnrollmentState::kSubmitting) {
      return *e;
    }
    break;
  }
  ASSIGN_OR_RETURN(
      SessionInfo session,
      RenewalSession(params.key_name, first->first, params.session, caller));
  RETURN_IF_ERROR(CheckKeySession(session));
  const hsm::KeyAlgorithm algorithm =
      first->first.algorithm ==
              hsm::KeyAlgorithmName(hsm::KeyAlgorithm::kRsa2048)
          ? hsm::KeyAlgorithm::kRsa2048
          : hsm::KeyAlgorithm::kEcP256;
  const std::string key_name = params.key_name;
  Submission submission{
      .usage = base.record.usage,
      .algorithm = algorithm,
      .certificate_name = first->first.certificate_name,
      .max_wait = params.max_wait,
      .reserve = [&]() -> absl::StatusOr<std::pair<std::string, int>> {
        ASSIGN_OR_RETURN(int v, deps_.keys->ReserveVersion(key_name));
        return std::make_pair(signer::KeyVersionName(key_name, v), v);
      },
      .generate = [&](absl::string_view name) -> absl::StatusOr<signer::Key> {
        std::optional<signer::KeyVersionRef> ref =
            signer::ParseKeyVersionName(name);
        if (!ref.has_value()) {
          return absl::InternalError("renewal of an unversioned name");
        }
        return deps_.keys->GenerateVersion(key_name, ref->version, algorithm);
      }};
  return Submit(session, submission, caller);
}

absl::StatusOr<std::vector<KeyVersionInfo>> CertificateEnroller::Versions(
    absl::string_view key_name) {
  ASSIGN_OR_RETURN(std::vector<signer::Key> keys,
                   deps_.keys->Versions(key_name));
  ASSIGN_OR_RETURN(signer::Key current, deps_.keys->Current(key_name));
  std::vector<KeyVersionInfo> out;
  for (signer::Key& key : keys) {
    KeyVersionInfo info;
    std::optional<signer::KeyVersionRef> ref =
        signer::ParseKeyVersionName(key.name);
    info.version = ref.has_value() ? ref->version : 1;
    ASSIGN_OR_RETURN(std::optional<Enrollment> e, Get(key.name));
    if (e.has_value()) info.enrollment = std::move(e->record);
    info.current = key.name == current.name;
    info.key = std::move(key);
    out.push_back(std::move(info));
  }
  return out;
}

void CertificateEnroller::Audit(absl::string_view operation,
                                absl::string_view key_name,
                                const absl::Status& outcome,
                                std::string detail) {
  if (deps_.audit == nullptr) return;
  if (!outcome.ok()) {
    absl::StrAppend(&detail, ": ", outcome.message());
  }
  vault::AuditEvent event{
      .identity = "sejfd",
      .operation = std::string(operation),
      .resource = absl::StrCat("keys/", key_name),
      .outcome = absl::StatusCodeToString(outcome.code()),
      .detail = vault::ClipAuditField(detail, vault::kMaxAuditDetailSize)};
  (void)deps_.audit->Append(std::move(event));
}

absl::Status CertificateEnroller::RenewDue() {
  ASSIGN_OR_RETURN(std::vector<std::string> names, AllNames());
  absl::Status first;
  auto note = [&](const absl::Status& s) {
    if (!s.ok() && first.ok()) first = s;
  };
  const absl::Time now = deps_.clock->Now();
  for (const std::string& name : names) {
    if (absl::StrContains(name, '@')) continue;  // versions: with their key
    absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>> stored =
        Read(name);
    if (!stored.ok()) {
      note(stored.status());
      continue;
    }
    absl::StatusOr<std::vector<signer::Key>> versions =
        deps_.keys->Versions(name);
    if (absl::IsNotFound(versions.status())) continue;
    if (!versions.ok()) {
      note(versions.status());
      continue;
    }
    if (versions->front().record.state == vault::CredentialState::kDestroyed) {
      continue;
    }
    absl::StatusOr<signer::Key> current = deps_.keys->Current(name);
    if (!current.ok()) {
      note(current.status());
      continue;
    }
    // Versions older than the current one, expired: disabled.
    for (const signer::Key& v : *versions) {
      if (v.name == current->name) break;
      if (v.record.state != vault::CredentialState::kActive ||
          !v.record.certificate.has_value() ||
          v.record.certificate->not_after >= now) {
        continue;
      }
      absl::Status disabled = DisableExactly(*deps_.keys, v.name).status();
      Audit("keys.version_disabled", name, disabled,
            absl::StrCat("version ", VersionOf(v.name), " serial ",
                         v.record.certificate->serial, " expired ",
                         absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                          v.record.certificate->not_after,
                                          absl::UTCTimeZone())));
      note(disabled);
    }
    // The current version's certificate near its end: a successor.
    const int days =
        stored->first.renew_before_days.value_or(kDefaultRenewBeforeDays);
    if (days == 0 || current->record.state != vault::CredentialState::kActive ||
        !current->record.certificate.has_value() ||
        current->record.certificate->not_after - absl::Hours(24) * days > now) {
      continue;
    }
    // A later version reserved (under way, failed, or not yet usable): no
    // automatic second attempt; `sejf key renew` forces one.
    if (versions->front().record.latest_version > VersionOf(current->name)) {
      continue;
    }
    absl::StatusOr<Enrollment> renewed =
        Renew({.key_name = name, .max_wait = absl::ZeroDuration()});
    Audit("keys.enroll", name, renewed.status(),
          renewed.ok()
              ? absl::StrCat("renew: version ", renewed->record.version,
                             " via sessions/", renewed->record.session,
                             " reference ", renewed->record.reference_number,
                             " ", EnrollmentStateName(renewed->record.state))
              : absl::StrCat(
                    "renew before ",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                     current->record.certificate->not_after,
                                     absl::UTCTimeZone())));
    note(renewed.status());
  }
  return first;
}

}  // namespace sejf::broker
