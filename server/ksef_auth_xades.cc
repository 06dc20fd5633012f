// sejf.v1.KsefAuth, XAdES: SignAuthTokenRequest (ksef_auth_service.h).
#include <string>
#include <utility>

#include "common/ksef_context.h"
#include "common/status_macros.h"
#include "server/credential_access.h"
#include "server/enum_conversions.h"
#include "server/ksef_auth_service.h"
#include "server/ksef_conversions.h"
#include "server/resource_names.h"

namespace sejf::server {

grpc::Status KsefAuthService::SignAuthTokenRequest(
    grpc::ServerContext* context,
    const sejf::v1::SignAuthTokenRequestRequest* request,
    sejf::v1::SignAuthTokenRequestResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    signer::AuthTokenSignParams params;
    ASSIGN_OR_RETURN(params.key_name,
                     KeyNameFromResource(request->key(), "key"));
    params.challenge = request->challenge();
    ASSIGN_OR_RETURN(params.context,
                     ParseKsefContext(request->context(), "context"));
    ASSIGN_OR_RETURN(
        params.subject_type,
        EnumOrDefault(request->subject_identifier_type(), SubjectTypeFromProto,
                      signer::SubjectIdentifierType::kCertificateSubject,
                      "subject_identifier_type"));
    ASSIGN_OR_RETURN(
        params.ns,
        EnumOrDefault(request->namespace_(), NamespaceFromProto,
                      signer::AuthTokenNamespace::kV2_0, "namespace"));
    params.allowed_ips = AllowedIpsFromProto(request->allowed_ips());
    RETURN_IF_ERROR(auth_signer_.CheckRequest(params));

    // Validated above: the challenge is public, not a secret.
    RETURN_IF_ERROR(call.Authorize(
        Operation::kAuthXades,
        KeyTarget(params.key_name, params.context.ToString(),
                  absl::StrCat("challenge ", params.challenge))));
    ASSIGN_OR_RETURN(signer::SignedAuthTokenRequest signed_request,
                     auth_signer_.Sign(params));
    response->set_signed_xml(std::move(signed_request.xml));
    response->mutable_signing_time()->set_seconds(
        absl::ToUnixSeconds(signed_request.signing_time));
    response->set_certificate_sha256_fingerprint(
        signed_request.certificate_sha256_fingerprint);
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
