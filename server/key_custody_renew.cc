// KeyCustodyService's key-version handlers: RenewKey, ListKeyVersions,
// SetKeyRenewal (broker::CertificateEnroller::Renew, signer/custody/
// key_versions.h; docs/lifecycle-certificates.md "Versions and renewal").
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/credential_access.h"
#include "server/key_custody_service.h"
#include "server/resource_names.h"
#include "server/session_access.h"

namespace sejf::server {
namespace {

absl::Status NoEnroller() {
  return absl::FailedPreconditionError(
      "this sejfd has no KSeF certificate enrollment");
}

// The domain's tagged field as the request's.
absl::Status AsRequestField(const absl::Status& status) {
  std::optional<std::string> field = TaggedField(status);
  if (!field) return status;
  if (*field == "key_name") return WithField("name", status);
  return WithField(*field, status);
}

}  // namespace

grpc::Status KeyCustodyService::RenewKey(
    grpc::ServerContext* context, const sejf::v1::RenewKeyRequest* request,
    sejf::v1::RenewKeyResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    if (sessions_ == nullptr || enroller_ == nullptr) return NoEnroller();
    broker::RenewParams params;
    ASSIGN_OR_RETURN(params.key_name,
                     KeyNameFromResource(request->name(), "name"));
    if (!request->session().empty()) {
      ASSIGN_OR_RETURN(params.session,
                       SessionNameFromResource(request->session(), "session"));
    }
    if (request->has_renew_before_days()) {
      params.renew_before_days = request->renew_before_days();
    }
    // Answer before the caller gives up (the enrollment goes on anyway).
    const absl::Time deadline = absl::FromChrono(context->deadline());
    if (deadline != absl::InfiniteFuture() &&
        deadline < absl::Now() + absl::Hours(24)) {
      params.max_wait = deadline - absl::Now() - absl::Seconds(2);
    }
    RETURN_IF_ERROR(
        AsRequestField(broker::CertificateEnroller::CheckRenew(params)));
    // The key, in the context of the session it is renewed through: the
    // one named (authorized too), else the one it was enrolled through.
    std::optional<std::string> key_context;
    std::string via = "a session on the key";
    if (!params.session.empty()) {
      ASSIGN_OR_RETURN(broker::SessionInfo session,
                       AuthorizeThroughSession(call, Operation::kKeysEnroll,
                                               *sessions_, params.session));
      key_context = session.context;
      via = absl::StrCat("sessions/", params.session);
    } else if (absl::StatusOr<std::optional<broker::Enrollment>> e =
                   enroller_->Get(params.key_name);
               e.ok() && e->has_value()) {
      if (absl::StatusOr<broker::SessionInfo> s =
              sessions_->Get((*e)->record.session);
          s.ok()) {
        key_context = s->context;
      }
    }
    RETURN_IF_ERROR(call.Authorize(Operation::kKeysEnroll,
                                   KeyTarget(params.key_name, key_context,
                                             absl::StrCat("renew via ", via))));
    ASSIGN_OR_RETURN(broker::Enrollment enrollment,
                     enroller_->Renew(params, CallerOf(call)));
    ASSIGN_OR_RETURN(signer::Key key, custody_.Get(enrollment.key_name));
    return KeyWithEnrollment(key, response->mutable_key());
  });
}

grpc::Status KeyCustodyService::ListKeyVersions(
    grpc::ServerContext* context,
    const sejf::v1::ListKeyVersionsRequest* request,
    sejf::v1::ListKeyVersionsResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(std::string name,
                     KeyNameFromResource(request->name(), "name"));
    RETURN_IF_ERROR(call.Authorize(Operation::kKeysRead, KeyTarget(name)));
    ASSIGN_OR_RETURN(std::vector<signer::Key> versions,
                     custody_.Versions(name));
    ASSIGN_OR_RETURN(signer::Key current, custody_.Current(name));
    for (const signer::Key& key : versions) {
      sejf::v1::KeyVersion* v = response->add_versions();
      std::optional<signer::KeyVersionRef> ref =
          signer::ParseKeyVersionName(key.name);
      v->set_version(ref.has_value() ? ref->version : 1);
      v->set_current(key.name == current.name);
      RETURN_IF_ERROR(KeyWithEnrollment(key, v->mutable_key()));
    }
    return absl::OkStatus();
  });
}

grpc::Status KeyCustodyService::SetKeyRenewal(
    grpc::ServerContext* context, const sejf::v1::SetKeyRenewalRequest* request,
    sejf::v1::SetKeyRenewalResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(std::string name,
                     KeyNameFromResource(request->name(), "name"));
    RETURN_IF_ERROR(
        AsRequestField(broker::CertificateEnroller::CheckRenewBeforeDays(
            request->renew_before_days())));
    RETURN_IF_ERROR(call.Authorize(
        Operation::kKeysManage,
        KeyTarget(
            name, std::nullopt,
            absl::StrCat("renew_before_days ", request->renew_before_days()))));
    if (enroller_ == nullptr) return NoEnroller();
    RETURN_IF_ERROR(
        enroller_->SetRenewBeforeDays(name, request->renew_before_days())
            .status());
    ASSIGN_OR_RETURN(signer::Key key, custody_.Get(name));
    return KeyWithEnrollment(key, response->mutable_key());
  });
}

}  // namespace sejf::server
