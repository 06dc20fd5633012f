// proto ⇄ domain conversions for sejf.v1.KsefAuth. Enum values a request
// leaves UNSPECIFIED map to the documented defaults; values this server does
// not know map to nullopt (the adapter answers INVALID_ARGUMENT).
//
// Thread-safety: pure functions.
#ifndef SEJF_SERVER_KSEF_CONVERSIONS_H_
#define SEJF_SERVER_KSEF_CONVERSIONS_H_

#include <optional>

#include "sejf/v1/ksef_auth.pb.h"
#include "signer/ksef/allowed_ips.h"
#include "signer/ksef/auth_token_request.h"
#include "signer/ministry/ministry_certificate.h"

namespace sejf::server {

// UNSPECIFIED → certificateSubject.
std::optional<signer::SubjectIdentifierType> SubjectTypeFromProto(
    sejf::v1::SubjectIdentifierType t);
// UNSPECIFIED → 2.0.
std::optional<signer::AuthTokenNamespace> NamespaceFromProto(
    sejf::v1::AuthTokenNamespace ns);
// UNSPECIFIED → KsefTokenEncryption.
std::optional<signer::MinistryCertificateUsage> MinistryUsageFromProto(
    sejf::v1::MinistryCertificateUsage u);
sejf::v1::MinistryCertificateUsage MinistryUsageToProto(
    signer::MinistryCertificateUsage u);

signer::AllowedIps AllowedIpsFromProto(const sejf::v1::AllowedIps& ips);

// Fills `out`; name is
// "environments/{environment}/ministryCertificates/{fingerprint}".
void MinistryCertificateToProto(const signer::MinistryCertificate& c,
                                sejf::v1::MinistryCertificate* out);

}  // namespace sejf::server

#endif  // SEJF_SERVER_KSEF_CONVERSIONS_H_
