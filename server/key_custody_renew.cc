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
    // Authorized before anything about the key is read, so a caller who
    // may not renew it learns nothing of it (docs/access-control.md,
    // "Authorization before lookup"):
    //   1. by name, before any read: PERMISSION_DENIED, whether or not the
    //      key exists or is enrolled, for a caller no rule lets renew a key
    //      of that name in any context;
    //   2. in the context the key is renewed in: the named session's
    //      (itself authorized by name first, then in its context; one the
    //      caller may not use is answered as a missing one), else the one
    //      Renew would use (RenewalContext). A key that is missing or not
    //      enrolled answers NotEnrolledError, and so does an enrolled key
    //      in a context the caller may not renew in (AuthorizeFound), byte
    //      for byte; one whose context is unknown (its enrollment session
    //      is gone) only to a caller allowed in every context.
    RETURN_IF_ERROR(
        call.AuthorizeName(Operation::kKeysEnroll, KeyTarget(params.key_name)));
    if (!params.session.empty()) {
      ASSIGN_OR_RETURN(broker::SessionInfo session,
                       AuthorizeThroughSession(call, Operation::kKeysEnroll,
                                               *sessions_, params.session));
      RETURN_IF_ERROR(call.Authorize(
          Operation::kKeysEnroll,
          KeyTarget(params.key_name, session.context,
                    absl::StrCat("renew via sessions/", params.session))));
    } else {
      const absl::Status not_enrolled =
          broker::CertificateEnroller::NotEnrolledError(params.key_name);
      absl::StatusOr<std::optional<std::string>> key_context =
          enroller_->RenewalContext(params.key_name);
      if (!key_context.ok()) return key_context.status();
      AccessTarget target = KeyTarget(params.key_name, *key_context,
                                      "renew via a session on the key");
      target.whole_vault = !key_context->has_value();
      RETURN_IF_ERROR(call.AuthorizeFound(Operation::kKeysEnroll,
                                          std::move(target), not_enrolled));
    }
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
