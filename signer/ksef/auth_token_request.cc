#include "signer/ksef/auth_token_request.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "signer/ksef/challenge.h"

namespace sejf::signer {
namespace {

void AppendElements(absl::string_view name,
                    const std::vector<std::string>& values, std::string* out) {
  for (const std::string& value : values) {
    absl::StrAppend(out, "<", name, ">", value, "</", name, ">");
  }
}

}  // namespace

absl::string_view AuthTokenNamespaceUri(AuthTokenNamespace ns) {
  switch (ns) {
    case AuthTokenNamespace::kV2_0:
      return "http://ksef.mf.gov.pl/auth/token/2.0";
    case AuthTokenNamespace::kV2_1:
      return "http://ksef.mf.gov.pl/auth/token/2.1";
  }
  return "http://ksef.mf.gov.pl/auth/token/2.0";
}

absl::string_view AuthTokenNamespaceVersion(AuthTokenNamespace ns) {
  return ns == AuthTokenNamespace::kV2_1 ? "2.1" : "2.0";
}

absl::string_view SubjectIdentifierTypeName(SubjectIdentifierType type) {
  return type == SubjectIdentifierType::kCertificateFingerprint
             ? "certificateFingerprint"
             : "certificateSubject";
}

absl::Status ValidateAuthTokenRequest(const AuthTokenRequest& request,
                                      absl::Time now) {
  RETURN_IF_ERROR(ValidateChallenge(request.challenge, now, "challenge"));
  // Re-checked: a KsefContext is a plain struct anyone can fill in.
  RETURN_IF_ERROR(MakeKsefContext(KsefContextTypeName(request.context.type),
                                  request.context.value, "context")
                      .status());
  switch (request.subject_type) {
    case SubjectIdentifierType::kCertificateSubject:
    case SubjectIdentifierType::kCertificateFingerprint:
      break;
    default:
      return absl::InvalidArgumentError(
          "subject_type must be certificateSubject or "
          "certificateFingerprint");
  }
  switch (request.ns) {
    case AuthTokenNamespace::kV2_0:
    case AuthTokenNamespace::kV2_1:
      break;
    default:
      return absl::InvalidArgumentError("namespace must be 2.0 or 2.1");
  }
  return ValidateAllowedIps(request.allowed_ips);
}

void AppendAuthTokenRequestContent(const AuthTokenRequest& request,
                                   std::string* out) {
  const absl::string_view context = KsefContextTypeName(request.context.type);
  absl::StrAppend(out, "<AuthTokenRequest xmlns=\"",
                  AuthTokenNamespaceUri(request.ns), "\"><Challenge>",
                  request.challenge, "</Challenge><ContextIdentifier><",
                  context, ">", request.context.value, "</", context,
                  "></ContextIdentifier><SubjectIdentifierType>",
                  SubjectIdentifierTypeName(request.subject_type),
                  "</SubjectIdentifierType>");
  const AllowedIps& ips = request.allowed_ips;
  if (!ips.empty()) {
    out->append("<AuthorizationPolicy><AllowedIps>");
    AppendElements("Ip4Address", ips.ip4_addresses, out);
    AppendElements("Ip4Range", ips.ip4_ranges, out);
    AppendElements("Ip4Mask", ips.ip4_masks, out);
    out->append("</AllowedIps></AuthorizationPolicy>");
  }
}

}  // namespace sejf::signer
