// KeyCustodyService's KSeF certificate handlers: EnrollKey, RevokeKey
// (broker::CertificateEnroller; docs/lifecycle-certificates.md), and the
// enrollment shown with a key.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/common_conversions.h"
#include "server/credential_access.h"
#include "server/enum_conversions.h"
#include "server/key_conversions.h"
#include "server/key_custody_service.h"
#include "server/resource_names.h"
#include "server/session_access.h"

namespace sejf::server {
namespace {

absl::Status NoEnroller() {
  return absl::FailedPreconditionError(
      "this sejfd has no KSeF certificate enrollment");
}

sejf::v1::EnrollmentState StateToProto(broker::EnrollmentState s) {
  switch (s) {
    case broker::EnrollmentState::kSubmitting:
      return sejf::v1::ENROLLMENT_STATE_SUBMITTING;
    case broker::EnrollmentState::kPending:
      return sejf::v1::ENROLLMENT_STATE_PENDING;
    case broker::EnrollmentState::kCompleted:
      return sejf::v1::ENROLLMENT_STATE_COMPLETED;
    case broker::EnrollmentState::kFailed:
      return sejf::v1::ENROLLMENT_STATE_FAILED;
  }
  return sejf::v1::ENROLLMENT_STATE_UNSPECIFIED;
}

std::optional<broker::CertificateRevocationReason> ReasonFromProto(
    sejf::v1::RevocationReason r) {
  switch (r) {
    case sejf::v1::REVOCATION_REASON_UNSPECIFIED:
      return broker::CertificateRevocationReason::kUnspecified;
    case sejf::v1::REVOCATION_REASON_KEY_COMPROMISE:
      return broker::CertificateRevocationReason::kKeyCompromise;
    case sejf::v1::REVOCATION_REASON_SUPERSEDED:
      return broker::CertificateRevocationReason::kSuperseded;
    default:
      return std::nullopt;
  }
}

// The domain's tagged field as the request's.
absl::Status AsRequestField(const absl::Status& status,
                            absl::string_view key_field) {
  std::optional<std::string> field = TaggedField(status);
  if (!field) return status;
  if (*field == "key_name") return WithField(key_field, status);
  return WithField(*field, status);
}

}  // namespace

absl::Status KeyCustodyService::KeyWithEnrollment(const signer::Key& key,
                                                  sejf::v1::Key* out) {
  RETURN_IF_ERROR(KeyToProto(key, out));
  std::optional<signer::KeyVersionRef> version =
      signer::ParseKeyVersionName(key.name);
  out->set_version(version.has_value() ? version->version : 1);
  if (key.record.latest_version > 1) {
    // A renewed key: which version signs now.
    ASSIGN_OR_RETURN(signer::Key current, custody_.Current(key.name));
    std::optional<signer::KeyVersionRef> current_version =
        signer::ParseKeyVersionName(current.name);
    out->set_current_version(
        current_version.has_value() ? current_version->version : 1);
    sejf::v1::Key current_proto;
    RETURN_IF_ERROR(KeyToProto(current, &current_proto));
    if (current_proto.has_certificate()) {
      *out->mutable_current_certificate() = current_proto.certificate();
    }
  }
  if (enroller_ == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<broker::Enrollment> enrollment,
                   enroller_->Get(key.name));
  if (!enrollment.has_value()) return absl::OkStatus();
  const broker::EnrollmentRecord& r = enrollment->record;
  sejf::v1::KsefEnrollment* e = out->mutable_ksef_enrollment();
  e->set_reference_number(r.reference_number);
  e->set_state(StateToProto(r.state));
  e->set_session(absl::StrCat("sessions/", r.session));
  e->set_environment(r.environment);
  e->set_certificate_name(r.certificate_name);
  e->set_error(r.error);
  e->set_ksef_status(r.ksef_status);
  if (r.ksef_status_time != absl::InfinitePast()) {
    *e->mutable_ksef_status_time() = ToTimestamp(r.ksef_status_time);
  }
  *e->mutable_create_time() = ToTimestamp(r.create_time);
  if (r.version == 1) {
    out->set_renew_before_days(
        r.renew_before_days.value_or(broker::kDefaultRenewBeforeDays));
  }
  return absl::OkStatus();
}

grpc::Status KeyCustodyService::EnrollKey(
    grpc::ServerContext* context, const sejf::v1::EnrollKeyRequest* request,
    sejf::v1::EnrollKeyResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    if (sessions_ == nullptr) return NoEnroller();
    broker::EnrollParams params;
    params.key_name = request->key_id();
    ASSIGN_OR_RETURN(params.session,
                     SessionNameFromResource(request->session(), "session"));
    ASSIGN_OR_RETURN(params.usage,
                     RequiredEnum(request->usage(), UsageFromProto, "usage"));
    ASSIGN_OR_RETURN(params.algorithm,
                     EnumOrDefault(request->algorithm(), AlgorithmFromProto,
                                   hsm::KeyAlgorithm::kEcP256, "algorithm"));
    params.certificate_name = request->certificate_name();
    if (request->has_renew_before_days()) {
      params.renew_before_days = request->renew_before_days();
    }
    // Answer before the caller gives up: what is left of its deadline, less
    // a margin for the answer's way back (the enrollment goes on anyway).
    const absl::Time deadline = absl::FromChrono(context->deadline());
    if (deadline != absl::InfiniteFuture() &&
        deadline < absl::Now() + absl::Hours(24)) {
      params.max_wait = deadline - absl::Now() - absl::Seconds(2);
    }
    RETURN_IF_ERROR(AsRequestField(
        broker::CertificateEnroller::CheckEnroll(params), "key_id"));
    // The key by name before the session is read (a caller no rule lets
    // enroll that key learns nothing of the session), the session, then
    // the key in its context (the one intent event).
    RETURN_IF_ERROR(
        call.AuthorizeName(Operation::kKeysEnroll, KeyTarget(params.key_name)));
    ASSIGN_OR_RETURN(broker::SessionInfo session,
                     AuthorizeThroughSession(call, Operation::kKeysEnroll,
                                             *sessions_, params.session));
    // The new key, in the session's context (its certificate will carry
    // that subject's identity).
    RETURN_IF_ERROR(call.Authorize(
        Operation::kKeysEnroll,
        KeyTarget(params.key_name, session.context,
                  absl::StrCat("enroll ", vault::KeyUsageName(params.usage),
                               " via sessions/", params.session))));
    if (enroller_ == nullptr) return NoEnroller();
    ASSIGN_OR_RETURN(broker::Enrollment enrollment,
                     enroller_->Enroll(params, CallerOf(call)));
    ASSIGN_OR_RETURN(signer::Key key, custody_.Get(enrollment.key_name));
    return KeyWithEnrollment(key, response->mutable_key());
  });
}

grpc::Status KeyCustodyService::RevokeKey(
    grpc::ServerContext* context, const sejf::v1::RevokeKeyRequest* request,
    sejf::v1::RevokeKeyResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    if (sessions_ == nullptr) return NoEnroller();
    broker::RevokeParams params;
    ASSIGN_OR_RETURN(params.key_name,
                     KeyNameFromResource(request->name(), "name"));
    ASSIGN_OR_RETURN(params.session,
                     SessionNameFromResource(request->session(), "session"));
    std::optional<broker::CertificateRevocationReason> reason =
        ReasonFromProto(request->reason());
    if (!reason.has_value()) {
      return absl::InvalidArgumentError(
          "reason: unknown value; use KEY_COMPROMISE, SUPERSEDED or leave it "
          "unset");
    }
    params.reason = *reason;
    params.version = request->version();
    RETURN_IF_ERROR(AsRequestField(
        broker::CertificateEnroller::CheckRevoke(params), "name"));
    // The key by name before anything is read, the session, then the key
    // in its context (the one intent event).
    RETURN_IF_ERROR(
        call.AuthorizeName(Operation::kKeysEnroll, KeyTarget(params.key_name)));
    ASSIGN_OR_RETURN(broker::SessionInfo session,
                     AuthorizeThroughSession(call, Operation::kKeysEnroll,
                                             *sessions_, params.session));
    // The key as a credential too.
    RETURN_IF_ERROR(call.Authorize(
        Operation::kKeysEnroll,
        KeyTarget(params.key_name, session.context,
                  params.version > 0
                      ? absl::StrCat("revoke version ", params.version,
                                     " via sessions/", params.session)
                      : absl::StrCat("revoke via sessions/", params.session))));
    if (enroller_ == nullptr) return NoEnroller();
    ASSIGN_OR_RETURN(broker::RevokeResult result,
                     enroller_->Revoke(params, CallerOf(call)));
    for (const std::string& s : result.closed_sessions) {
      response->add_closed_sessions(absl::StrCat("sessions/", s));
    }
    return KeyWithEnrollment(result.key, response->mutable_key());
  });
}

}  // namespace sejf::server
