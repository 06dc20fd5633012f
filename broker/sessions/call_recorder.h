// Makes the KSeF calls of one session operation and tells the observer
// (session_call_observer.h) about each: endpoint, reference number, HTTP
// status and KSeF exception codes (from the KsefError of a failure),
// duration on the injected clock, outcome. Never a token: only statuses
// and reference numbers are looked at.
//
// Thread-safety: one recorder per operation, used by one thread.
#ifndef SEJF_BROKER_SESSIONS_CALL_RECORDER_H_
#define SEJF_BROKER_SESSIONS_CALL_RECORDER_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/ksef_api/ksef_api.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/sessions/session_call_observer.h"
#include "broker/sessions/session_record.h"
#include "common/clock.h"

namespace sejf::broker {

class CallRecorder {
 public:
  // `observer` may be null (nothing is reported); `clock` must outlive the
  // recorder. `base` names the session, context, environment, step and
  // caller of every event.
  CallRecorder(SessionCallObserver* observer, const Clock* clock,
               SessionCallEvent base)
      : observer_(observer), clock_(clock), base_(std::move(base)) {}

  // The recorder of the calls `step` makes for session `name` (`record`).
  static CallRecorder ForSession(SessionCallObserver* observer,
                                 const Clock* clock, absl::string_view name,
                                 const SessionRecord& record,
                                 absl::string_view step,
                                 const SessionCaller& caller) {
    return CallRecorder(observer, clock,
                        {.session = std::string(name),
                         .context = record.context,
                         .environment = record.environment,
                         .step = std::string(step),
                         .caller = caller});
  }

  // What every event of this recorder names.
  const SessionCallEvent& base() const { return base_; }

  // Runs `f` (one KsefApi call) as `endpoint`, whose success is HTTP
  // `ok_http`, for the authentication operation `reference` (empty: the
  // one an AuthInit result names), reports it and returns its result.
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
    if (call.reference_number.empty()) {
      call.reference_number = ReferenceOf(result);
    }
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
  static absl::Status StatusOf(const absl::Status& status) { return status; }
  template <typename T>
  static absl::Status StatusOf(const absl::StatusOr<T>& result) {
    return result.status();
  }
  template <typename T>
  static std::string ReferenceOf(const T&) {
    return "";
  }
  static std::string ReferenceOf(const absl::StatusOr<AuthInit>& init) {
    return init.ok() ? init->reference_number : "";
  }
  static std::string ReferenceOf(  // issue 14: POST /tokens
      const absl::StatusOr<GeneratedKsefToken>& generated) {
    return generated.ok() ? generated->reference_number : "";
  }
  static std::string ReferenceOf(
      const absl::StatusOr<CertificateEnrollmentAccepted>& accepted) {
    return accepted.ok() ? accepted->reference_number : "";
  }

  SessionCallObserver* const observer_;
  const Clock* const clock_;
  const SessionCallEvent base_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_SESSIONS_CALL_RECORDER_H_
