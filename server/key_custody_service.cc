#include "server/key_custody_service.h"

#include "absl/strings/str_cat.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/key_conversions.h"
#include "server/resource_names.h"
#include "signer/x509/enrollment_data.h"
#include "signer/x509/self_signed.h"
#include "vault/records/credential_name.h"

namespace sejf::server {
namespace {

AccessTarget KeyTarget(const std::string& name) {
  AccessTarget target;
  target.resource = absl::StrCat("keys/", name);
  target.credential = name;
  return target;
}

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

absl::StatusOr<signer::KeyCustody*> KeyCustodyService::Custody() const {
  if (custody_ == nullptr) {
    return absl::UnavailableError("no key store is configured in this sejfd");
  }
  return custody_;
}

grpc::Status KeyCustodyService::GenerateKey(
    grpc::ServerContext* context, const sejf::v1::GenerateKeyRequest* request,
    sejf::v1::GenerateKeyResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.KeyCustody/GenerateKey",
      [&](RpcCall& call) -> absl::Status {
        // EC P-256 is what KSeF issues: the default. Usage has none.
        hsm::KeyAlgorithm algorithm = hsm::KeyAlgorithm::kEcP256;
        if (request->algorithm() != sejf::v1::KEY_ALGORITHM_UNSPECIFIED) {
          auto a = AlgorithmFromProto(request->algorithm());
          if (!a) return absl::InvalidArgumentError("algorithm is not known");
          algorithm = *a;
        }
        std::optional<vault::KeyUsage> usage = UsageFromProto(request->usage());
        if (!usage) {
          return absl::InvalidArgumentError(
              "usage must be KEY_USAGE_AUTHENTICATION or KEY_USAGE_OFFLINE");
        }
        RETURN_IF_ERROR(
            vault::ValidateCredentialName(request->key_id(), "key_id"));
        RETURN_IF_ERROR(call.Authorize(Operation::kKeysManage,
                                       KeyTarget(request->key_id())));
        ASSIGN_OR_RETURN(signer::KeyCustody * custody, Custody());
        ASSIGN_OR_RETURN(signer::Key key, custody->Generate(request->key_id(),
                                                            algorithm, *usage));
        return KeyToProto(key, response->mutable_key());
      });
}

grpc::Status KeyCustodyService::GetKey(grpc::ServerContext* context,
                                       const sejf::v1::GetKeyRequest* request,
                                       sejf::v1::GetKeyResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.KeyCustody/GetKey",
                [&](RpcCall& call) -> absl::Status {
                  ASSIGN_OR_RETURN(std::string name,
                                   AuthorizedKey(call, request->name(),
                                                 Operation::kKeysRead));
                  ASSIGN_OR_RETURN(signer::KeyCustody * custody, Custody());
                  ASSIGN_OR_RETURN(signer::Key key, custody->Get(name));
                  return KeyToProto(key, response->mutable_key());
                });
}

grpc::Status KeyCustodyService::ListKeys(
    grpc::ServerContext* context, const sejf::v1::ListKeysRequest* request,
    sejf::v1::ListKeysResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.KeyCustody/ListKeys",
      [&](RpcCall& call) -> absl::Status {
        signer::KeyFilter filter;
        if (request->usage() != sejf::v1::KEY_USAGE_UNSPECIFIED) {
          filter.usage = UsageFromProto(request->usage());
          if (!filter.usage) return absl::InvalidArgumentError("bad usage");
        }
        if (request->state() != sejf::v1::CREDENTIAL_STATE_UNSPECIFIED) {
          filter.state = StateFromProto(request->state());
          if (!filter.state) return absl::InvalidArgumentError("bad state");
        }
        if (request->expiring_within_days() < 0) {
          return absl::InvalidArgumentError(
              "expiring_within_days must not be negative");
        }
        if (request->expiring_within_days() > 0) {
          filter.expiring_within =
              absl::Hours(24) * request->expiring_within_days();
        }
        RETURN_IF_ERROR(call.Authorize(Operation::kKeysRead));
        ASSIGN_OR_RETURN(signer::KeyCustody * custody, Custody());
        ASSIGN_OR_RETURN(
            signer::KeyPage page,
            custody->List(filter, request->page_size(), request->page_token()));
        for (const signer::Key& key : page.keys) {
          // Only the keys policy lets this caller read.
          if (!call.IsAllowed(Operation::kKeysRead, KeyTarget(key.name))) {
            continue;
          }
          RETURN_IF_ERROR(KeyToProto(key, response->add_keys()));
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status KeyCustodyService::CreateCsr(
    grpc::ServerContext* context, const sejf::v1::CreateCsrRequest* request,
    sejf::v1::CreateCsrResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.KeyCustody/CreateCsr",
      [&](RpcCall& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string name,
                         KeyNameFromResource(request->name(), "name"));
        ASSIGN_OR_RETURN(signer::DistinguishedName subject,
                         SubjectFromProto(*request));
        RETURN_IF_ERROR(
            call.Authorize(Operation::kKeysManage, KeyTarget(name)));
        ASSIGN_OR_RETURN(signer::KeyCustody * custody, Custody());
        ASSIGN_OR_RETURN(signer::Csr csr, custody->CreateCsr(name, subject));
        response->set_csr_pem(csr.pem);
        response->set_csr_der(csr.der);
        return absl::OkStatus();
      });
}

grpc::Status KeyCustodyService::SelfSignCertificate(
    grpc::ServerContext* context,
    const sejf::v1::SelfSignCertificateRequest* request,
    sejf::v1::SelfSignCertificateResponse* response) {
  return RunRpc(
      env_, context, "/sejf.v1.KeyCustody/SelfSignCertificate",
      [&](RpcCall& call) -> absl::Status {
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
        RETURN_IF_ERROR(
            call.Authorize(Operation::kKeysManage, KeyTarget(name)));
        ASSIGN_OR_RETURN(signer::KeyCustody * custody, Custody());
        ASSIGN_OR_RETURN(
            signer::Key key,
            custody->SelfSign(name, *subject, request->validity_days()));
        return KeyToProto(key, response->mutable_key());
      });
}

grpc::Status KeyCustodyService::AttachCertificate(
    grpc::ServerContext* context,
    const sejf::v1::AttachCertificateRequest* request,
    sejf::v1::AttachCertificateResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.KeyCustody/AttachCertificate",
                [&](RpcCall& call) -> absl::Status {
                  ASSIGN_OR_RETURN(std::string name,
                                   AuthorizedKey(call, request->name(),
                                                 Operation::kKeysManage));
                  ASSIGN_OR_RETURN(signer::KeyCustody * custody, Custody());
                  ASSIGN_OR_RETURN(signer::Key key,
                                   custody->AttachCertificate(
                                       name, request->certificate_chain()));
                  return KeyToProto(key, response->mutable_key());
                });
}

grpc::Status KeyCustodyService::DisableKey(
    grpc::ServerContext* context, const sejf::v1::DisableKeyRequest* request,
    sejf::v1::DisableKeyResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.KeyCustody/DisableKey",
                [&](RpcCall& call) -> absl::Status {
                  ASSIGN_OR_RETURN(std::string name,
                                   AuthorizedKey(call, request->name(),
                                                 Operation::kKeysManage));
                  ASSIGN_OR_RETURN(signer::KeyCustody * custody, Custody());
                  ASSIGN_OR_RETURN(signer::Key key, custody->Disable(name));
                  return KeyToProto(key, response->mutable_key());
                });
}

grpc::Status KeyCustodyService::EnableKey(
    grpc::ServerContext* context, const sejf::v1::EnableKeyRequest* request,
    sejf::v1::EnableKeyResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.KeyCustody/EnableKey",
                [&](RpcCall& call) -> absl::Status {
                  ASSIGN_OR_RETURN(std::string name,
                                   AuthorizedKey(call, request->name(),
                                                 Operation::kKeysManage));
                  ASSIGN_OR_RETURN(signer::KeyCustody * custody, Custody());
                  ASSIGN_OR_RETURN(signer::Key key, custody->Enable(name));
                  return KeyToProto(key, response->mutable_key());
                });
}

grpc::Status KeyCustodyService::DestroyKey(
    grpc::ServerContext* context, const sejf::v1::DestroyKeyRequest* request,
    sejf::v1::DestroyKeyResponse* response) {
  return RunRpc(env_, context, "/sejf.v1.KeyCustody/DestroyKey",
                [&](RpcCall& call) -> absl::Status {
                  ASSIGN_OR_RETURN(std::string name,
                                   AuthorizedKey(call, request->name(),
                                                 Operation::kKeysManage));
                  ASSIGN_OR_RETURN(signer::KeyCustody * custody, Custody());
                  ASSIGN_OR_RETURN(signer::Key key, custody->Destroy(name));
                  return KeyToProto(key, response->mutable_key());
                });
}

}  // namespace sejf::server
