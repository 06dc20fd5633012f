// sejf.v1.KsefAuth, Ministry certificates: ImportMinistryCertificates and
// ListMinistryCertificates (ksef_auth_service.h). Both are mfcerts.manage,
// whole-vault state; the target names the environment when there is one.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/enum_conversions.h"
#include "server/ksef_auth_service.h"
#include "server/ksef_conversions.h"

namespace sejf::server {
namespace {

AccessTarget MfcertsTarget(absl::string_view environment) {
  AccessTarget target;
  if (!environment.empty()) {
    target.resource =
        absl::StrCat("environments/", environment, "/ministryCertificates");
  }
  return target;
}

}  // namespace

grpc::Status KsefAuthService::ImportMinistryCertificates(
    grpc::ServerContext* context,
    const sejf::v1::ImportMinistryCertificatesRequest* request,
    sejf::v1::ImportMinistryCertificatesResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    RETURN_IF_ERROR(WithField("environment", signer::ValidateEnvironmentName(
                                                 request->environment())));
    ASSIGN_OR_RETURN(
        signer::MinistryCertificateUsage usage,
        EnumOrDefault(request->usage(), MinistryUsageFromProto,
                      signer::MinistryCertificateUsage::kKsefTokenEncryption,
                      "usage"));
    if (request->content().empty()) {
      return absl::InvalidArgumentError(
          "content is required: the JSON of GET "
          "/security/public-key-certificates, PEM or DER");
    }
    RETURN_IF_ERROR(call.Authorize(Operation::kMfcertsManage,
                                   MfcertsTarget(request->environment())));
    std::vector<std::string> pins(request->pin_fingerprints().begin(),
                                  request->pin_fingerprints().end());
    absl::StatusOr<std::vector<signer::MinistryCertificate>> imported =
        mfcerts_.Import(request->environment(), request->content(), usage,
                        pins);
    if (!imported.ok()) {
      // Bad input is about the pins when the domain says so (tagged), else
      // about the content.
      return TaggedField(imported.status())
                 ? WithTaggedField(imported.status())
                 : WithField("content", imported.status());
    }
    for (const signer::MinistryCertificate& c : *imported) {
      MinistryCertificateToProto(c, response->add_certificates());
    }
    return absl::OkStatus();
  });
}

grpc::Status KsefAuthService::ListMinistryCertificates(
    grpc::ServerContext* context,
    const sejf::v1::ListMinistryCertificatesRequest* request,
    sejf::v1::ListMinistryCertificatesResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    if (!request->environment().empty()) {
      RETURN_IF_ERROR(WithField("environment", signer::ValidateEnvironmentName(
                                                   request->environment())));
    }
    if (request->page_size() < 0) {
      return absl::InvalidArgumentError("page_size must not be negative");
    }
    RETURN_IF_ERROR(call.Authorize(Operation::kMfcertsManage,
                                   MfcertsTarget(request->environment())));
    ASSIGN_OR_RETURN(signer::MinistryCertificatePage page,
                     mfcerts_.List(request->environment(), request->page_size(),
                                   request->page_token()));
    for (const signer::MinistryCertificate& c : page.certificates) {
      MinistryCertificateToProto(c, response->add_certificates());
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
