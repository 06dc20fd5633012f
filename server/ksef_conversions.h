// proto ⇄ domain conversions for sejf.v1.KsefAuth. The enum conversions
// map a known value and give nullopt for anything else (UNSPECIFIED
// included); the adapter applies the rule of enum_conversions.h.
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

std::optional<signer::SubjectIdentifierType> SubjectTypeFromProto(
    sejf::v1::SubjectIdentifierType t);
std::optional<signer::AuthTokenNamespace> NamespaceFromProto(
    sejf::v1::AuthTokenNamespace ns);
std::optional<signer::MinistryCertificateUsage> MinistryUsageFromProto(
    sejf::v1::MinistryCertificateUsage u);
sejf::v1::MinistryCertificateUsage MinistryUsageToProto(
    signer::MinistryCertificateUsage u);

signer::AllowedIps AllowedIpsFromProto(const sejf::v1::AllowedIps& ips);
void AllowedIpsToProto(const signer::AllowedIps& ips,
                       sejf::v1::AllowedIps* out);

// Fills `out`; name is
// "environments/{environment}/ministryCertificates/{fingerprint}".
void MinistryCertificateToProto(const signer::MinistryCertificate& c,
                                sejf::v1::MinistryCertificate* out);

}  // namespace sejf::server

#endif  // SEJF_SERVER_KSEF_CONVERSIONS_H_
