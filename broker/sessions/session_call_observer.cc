#include "broker/sessions/session_call_observer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sejf::broker {
namespace {

// An event of the broker's own work for `caller` (the RPC it served; sejfd
// itself when none), its caller-supplied fields clipped.
vault::AuditEvent BrokerEvent(const SessionCaller& caller,
                              std::string operation, absl::string_view method,
                              const absl::Status& outcome,
                              absl::string_view detail) {
  return vault::AuditEvent{
      .request_id =
          vault::ClipAuditField(caller.request_id, vault::kMaxAuditFieldSize),
      .identity = vault::ClipAuditField(
          caller.identity.empty() ? "sejfd" : caller.identity,
          vault::kMaxAuditFieldSize),
      .operation = std::move(operation),
      .method = vault::ClipAuditField(method, vault::kMaxAuditFieldSize),
      .outcome = absl::StatusCodeToString(outcome.code()),
      .detail = vault::ClipAuditField(detail, vault::kMaxAuditDetailSize)};
}

}  // namespace

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
  vault::AuditEvent audit = BrokerEvent(event.caller, "ksef.call",
                                        call.endpoint, call.status, detail);
  audit.resource = event.session.empty()
                       ? absl::StrCat("environments/", event.environment)
                       : absl::StrCat("sessions/", event.session);
  audit.context = event.context;
  return audit;
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
  vault::AuditEvent audit =
      BrokerEvent(event.caller, "mfcerts.refresh", event.step, event.status,
                  absl::StrJoin(parts, " "));
  audit.resource =
      absl::StrCat("environments/", event.environment, "/ministryCertificates");
  audit.context = event.context;
  return audit;
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
