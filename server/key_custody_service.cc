#include "server/key_custody_service.h"

#include "absl/strings/str_cat.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/common_conversions.h"
#include "server/credential_access.h"
#include "server/enum_conversions.h"
#include "server/key_conversions.h"
#include "server/resource_names.h"
#include "signer/x509/enrollment_data.h"
#include "signer/x509/self_signed.h"
#include "vault/records/credential_name.h"

namespace sejf::server {
namespace {

// The name behind request field `field` ("keys/{name}"), authorized for
// `operation`.
absl::StatusOr<std::string> AuthorizedKey(RpcCall& call,
                                          const std::string& resource,
                                          Operation operation) {
  ASSIGN_OR_RETURN(std::string name, KeyNameFromResource(resource, "name"));
  RETURN_IF_ERROR(call.Authorize(operation, KeyTarget(name)));
  return name;
}

// The CSR subject from `subject` or `enrollment_data`.
absl::StatusOr<signer::DistinguishedName> SubjectFromProto(
    const sejf::v1::CreateCsrRequest& request) {
  switch (request.subject_source_case()) {
    case sejf::v1::CreateCsrRequest::kSubject: {
      auto dn = signer::DistinguishedName::Parse(request.subject());
      if (!dn.ok()) return WithField("subject", dn.status());
      return dn;
    }
    case sejf::v1::CreateCsrRequest::kEnrollmentData: {
      const sejf::v1::EnrollmentData& e = request.enrollment_data();
      signer::EnrollmentData data;
      data.common_name = e.common_name();
      data.country_name = e.country_name();
      data.given_name = e.given_name();
      data.surname = e.surname();
      data.serial_number = e.serial_number();
      data.unique_identifier = e.unique_identifier();
      data.organization_name = e.organization_name();
      data.organization_identifier = e.organization_identifier();
      auto dn = signer::DistinguishedNameFromEnrollmentData(data);
      if (!dn.ok()) return WithField("enrollment_data", dn.status());
      return dn;
    }
    default:
      return absl::InvalidArgumentError(
          "subject or enrollment_data is required");
  }
}

}  // namespace

template <typename Request, typename Response>
grpc::Status KeyCustodyService::ActOnKey(
    grpc::ServerContext* context, const Request& request, Response* response,
    Operation operation,
    const std::function<absl::StatusOr<signer::Key>(const std::string&)>& act) {
  return RunRpc(env_, context, request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(std::string name,
                     AuthorizedKey(call, request.name(), operation));
    ASSIGN_OR_RETURN(signer::Key key, act(name));
    return KeyWithEnrollment(key, response->mutable_key());
  });
}

grpc::Status KeyCustodyService::GenerateKey(
    grpc::ServerContext* context, const sejf::v1::GenerateKeyRequest* request,
    sejf::v1::GenerateKeyResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    // EC P-256 is what KSeF issues: the default. Usage has none.
    ASSIGN_OR_RETURN(hsm::KeyAlgorithm algorithm,
                     EnumOrDefault(request->algorithm(), AlgorithmFromProto,
                                   hsm::KeyAlgorithm::kEcP256, "algorithm"));
    ASSIGN_OR_RETURN(vault::KeyUsage usage,
                     RequiredEnum(request->usage(), UsageFromProto, "usage"));
    RETURN_IF_ERROR(vault::ValidateCredentialName(request->key_id(), "key_id"));
    RETURN_IF_ERROR(
        call.Authorize(Operation::kKeysManage, KeyTarget(request->key_id())));
    ASSIGN_OR_RETURN(signer::Key key,
                     custody_.Generate(request->key_id(), algorithm, usage));
    return KeyToProto(key, response->mutable_key());
  });
}

grpc::Status KeyCustodyService::GetKey(grpc::ServerContext* context,
                                       const sejf::v1::GetKeyRequest* request,
                                       sejf::v1::GetKeyResponse* response) {
  return ActOnKey(context, *request, response, Operation::kKeysRead,
                  [&](const std::string& name) { return custody_.Get(name); });
}

grpc::Status KeyCustodyService::ListKeys(
    grpc::ServerContext* context, const sejf::v1::ListKeysRequest* request,
    sejf::v1::ListKeysResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    signer::KeyFilter filter;
    ASSIGN_OR_RETURN(filter.usage,
                     EnumFilter(request->usage(), UsageFromProto, "usage"));
    ASSIGN_OR_RETURN(filter.state,
                     EnumFilter(request->state(), StateFromProto, "state"));
    if (request->expiring_within_days() < 0) {
      return absl::InvalidArgumentError(
          "expiring_within_days must not be negative");
    }
    if (request->expiring_within_days() > 0) {
      filter.expiring_within =
          absl::Hours(24) * request->expiring_within_days();
    }
    RETURN_IF_ERROR(call.Authorize(Operation::kKeysRead));
    ASSIGN_OR_RETURN(
        signer::KeyPage page,
        custody_.List(filter, request->page_size(), request->page_token()));
    for (const signer::Key& key : page.keys) {
      // Only the keys policy lets this caller read.
      if (!call.IsAllowed(Operation::kKeysRead, KeyTarget(key.name))) {
        continue;
      }
      RETURN_IF_ERROR(KeyWithEnrollment(key, response->add_keys()));
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status KeyCustodyService::CreateCsr(
    grpc::ServerContext* context, const sejf::v1::CreateCsrRequest* request,
    sejf::v1::CreateCsrResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(std::string name,
                     KeyNameFromResource(request->name(), "name"));
    ASSIGN_OR_RETURN(signer::DistinguishedName subject,
                     SubjectFromProto(*request));
    RETURN_IF_ERROR(call.Authorize(Operation::kKeysManage, KeyTarget(name)));
    ASSIGN_OR_RETURN(signer::Csr csr, custody_.CreateCsr(name, subject));
    response->set_csr_pem(csr.pem);
    response->set_csr_der(csr.der);
    return absl::OkStatus();
  });
}

grpc::Status KeyCustodyService::SelfSignCertificate(
    grpc::ServerContext* context,
    const sejf::v1::SelfSignCertificateRequest* request,
    sejf::v1::SelfSignCertificateResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    ASSIGN_OR_RETURN(std::string name,
                     KeyNameFromResource(request->name(), "name"));
    absl::StatusOr<signer::DistinguishedName> subject =
        signer::DistinguishedName::Parse(request->subject());
    if (!subject.ok()) return WithField("subject", subject.status());
    if (request->validity_days() < signer::kMinSelfSignedDays ||
        request->validity_days() > signer::kMaxSelfSignedDays) {
      return absl::InvalidArgumentError(
          absl::StrCat("validity_days must be ", signer::kMinSelfSignedDays,
                       " to ", signer::kMaxSelfSignedDays));
    }
    RETURN_IF_ERROR(call.Authorize(Operation::kKeysManage, KeyTarget(name)));
    ASSIGN_OR_RETURN(
        signer::Key key,
        custody_.SelfSign(name, *subject, request->validity_days()));
    return KeyToProto(key, response->mutable_key());
  });
}

grpc::Status KeyCustodyService::AttachCertificate(
    grpc::ServerContext* context,
    const sejf::v1::AttachCertificateRequest* request,
    sejf::v1::AttachCertificateResponse* response) {
  return ActOnKey(context, *request, response, Operation::kKeysManage,
                  [&](const std::string& name) {
                    return custody_.AttachCertificate(
                        name, request->certificate_chain());
                  });
}

grpc::Status KeyCustodyService::DisableKey(
    grpc::ServerContext* context, const sejf::v1::DisableKeyRequest* request,
    sejf::v1::DisableKeyResponse* response) {
  return ActOnKey(
      context, *request, response, Operation::kKeysManage,
      [&](const std::string& name) { return custody_.Disable(name); });
}

grpc::Status KeyCustodyService::EnableKey(
    grpc::ServerContext* context, const sejf::v1::EnableKeyRequest* request,
    sejf::v1::EnableKeyResponse* response) {
  return ActOnKey(
      context, *request, response, Operation::kKeysManage,
      [&](const std::string& name) { return custody_.Enable(name); });
}

grpc::Status KeyCustodyService::DestroyKey(
    grpc::ServerContext* context, const sejf::v1::DestroyKeyRequest* request,
    sejf::v1::DestroyKeyResponse* response) {
  return ActOnKey(
      context, *request, response, Operation::kKeysManage,
      [&](const std::string& name) { return custody_.Destroy(name); });
}

}  // namespace sejf::server
