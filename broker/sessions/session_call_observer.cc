#include "broker/sessions/session_call_observer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sejf::broker {

vault::AuditEvent SessionCallAuditEvent(const SessionCallEvent& event) {
  const KsefCall& call = event.call;
  std::string detail = absl::StrCat("step=", event.step);
  if (!call.reference_number.empty()) {
    absl::StrAppend(&detail, " ref=", call.reference_number);
  }
  absl::StrAppend(&detail, " http=", call.http_status);
  if (!call.exception_codes.empty()) {
    absl::StrAppend(&detail,
                    " codes=", absl::StrJoin(call.exception_codes, ","));
  }
  if (call.attempts > 0) absl::StrAppend(&detail, " attempts=", call.attempts);
  absl::StrAppend(&detail, " ms=", absl::ToInt64Milliseconds(call.duration));
  return vault::AuditEvent{
      .request_id = vault::ClipAuditField(event.caller.request_id,
                                          vault::kMaxAuditFieldSize),
      .identity = vault::ClipAuditField(
          event.caller.identity.empty() ? "sejfd" : event.caller.identity,
          vault::kMaxAuditFieldSize),
      .operation = "ksef.call",
      .method = vault::ClipAuditField(call.endpoint, vault::kMaxAuditFieldSize),
      .resource = event.session.empty()
                      ? absl::StrCat("environments/", event.environment)
                      : absl::StrCat("sessions/", event.session),
      .context = event.context,
      .outcome = absl::StatusCodeToString(call.status.code()),
      .detail = vault::ClipAuditField(detail, vault::kMaxAuditDetailSize)};
}

vault::AuditEvent MinistryCertificatesAuditEvent(
    const MinistryCertificatesEvent& event) {
  std::vector<std::string> parts;
  if (!event.status.ok()) {
    parts.push_back(absl::StrCat("error=", event.status.message()));
  }
  if (!event.added.empty()) {
    parts.push_back(absl::StrCat("added=", absl::StrJoin(event.added, ",")));
  }
  if (!event.retired.empty()) {
    parts.push_back(
        absl::StrCat("retired=", absl::StrJoin(event.retired, ",")));
  }
  if (!event.unretired.empty()) {
    parts.push_back(
        absl::StrCat("unretired=", absl::StrJoin(event.unretired, ",")));
  }
  return vault::AuditEvent{
      .request_id = vault::ClipAuditField(event.caller.request_id,
                                          vault::kMaxAuditFieldSize),
      .identity = vault::ClipAuditField(
          event.caller.identity.empty() ? "sejfd" : event.caller.identity,
          vault::kMaxAuditFieldSize),
      .operation = "mfcerts.refresh",
      .method = vault::ClipAuditField(event.step, vault::kMaxAuditFieldSize),
      .resource = absl::StrCat("environments/", event.environment,
                               "/ministryCertificates"),
      .context = event.context,
      .outcome = absl::StatusCodeToString(event.status.code()),
      .detail = vault::ClipAuditField(absl::StrJoin(parts, " "),
                                      vault::kMaxAuditDetailSize)};
}

void AuditingSessionCallObserver::OnKsefCall(const SessionCallEvent& event) {
  Append(SessionCallAuditEvent(event));
}

void AuditingSessionCallObserver::OnMinistryCertificates(
    const MinistryCertificatesEvent& event) {
  Append(MinistryCertificatesAuditEvent(event));
}

void AuditingSessionCallObserver::Append(const vault::AuditEvent& event) {
  absl::StatusOr<std::int64_t> appended = log_->Append(event);
  if (!appended.ok()) {
    failed_appends_.fetch_add(1);
    absl::MutexLock lock(&mu_);
    last_failure_ = appended.status();
  }
}

absl::Status AuditingSessionCallObserver::last_failure() const {
  absl::MutexLock lock(&mu_);
  return last_failure_;
}

}  // namespace sejf::broker
