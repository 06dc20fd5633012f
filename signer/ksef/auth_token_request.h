// The KSeF AuthTokenRequest document (ksef-protocol.md §5.1), built by this
// code from validated fields only: callers never supply XML, and a field
// holding anything outside its XSD pattern (markup included) is refused.
//
// Produced form (one line, no whitespace between elements, UTF-8; shown
// wrapped here):
//   <AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0">
//   <Challenge>20250514-CR-226FB7B000-3ACF9BE4C0-10</Challenge>
//   <ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier>
//   <SubjectIdentifierType>certificateSubject</SubjectIdentifierType>
//   <AuthorizationPolicy><AllowedIps>
//     <Ip4Address>…</Ip4Address>… <Ip4Range>…</Ip4Range>… <Ip4Mask>…</Ip4Mask>…
//   </AllowedIps></AuthorizationPolicy>          (only with allowed IPs)
//   </AuthTokenRequest>
// The namespace is …/auth/token/2.1 when asked for; the ContextIdentifier
// child is named by KsefContextTypeName (Nip, InternalId, NipVatUe,
// PeppolId). These bytes are already the exclusive XML canonical form
// (exc-C14N 1.0) of the element: the only namespace declaration is the
// default one on the root, which uses it, and no field contains a character
// C14N would escape. XAdES signing relies on that (xades_signature.h).
//
// Thread-safety: value types and pure functions.
#ifndef SEJF_SIGNER_KSEF_AUTH_TOKEN_REQUEST_H_
#define SEJF_SIGNER_KSEF_AUTH_TOKEN_REQUEST_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/ksef_context.h"
#include "signer/ksef/allowed_ips.h"

namespace sejf::signer {

enum class AuthTokenNamespace {
  kV2_0,  // http://ksef.mf.gov.pl/auth/token/2.0 (what the official SDKs send)
  kV2_1,  // http://ksef.mf.gov.pl/auth/token/2.1
};

// The namespace URI; "2.0" / "2.1" for people.
absl::string_view AuthTokenNamespaceUri(AuthTokenNamespace ns);
absl::string_view AuthTokenNamespaceVersion(AuthTokenNamespace ns);

enum class SubjectIdentifierType {
  kCertificateSubject,      // the subject's NIP/PESEL read from the cert
  kCertificateFingerprint,  // the SHA-256 fingerprint of the cert
};

// "certificateSubject", "certificateFingerprint".
absl::string_view SubjectIdentifierTypeName(SubjectIdentifierType type);

struct AuthTokenRequest {
  std::string challenge = {};
  KsefContext context = {};
  SubjectIdentifierType subject_type =
      SubjectIdentifierType::kCertificateSubject;
  AllowedIps allowed_ips = {};
  AuthTokenNamespace ns = AuthTokenNamespace::kV2_0;
};

// Checks every field: the challenge (ValidateChallenge with `now`), the
// context (as ParseKsefContext would: pattern and NIP checksum; a
// KsefContext built by hand is checked again), the allowed IPs
// (ValidateAllowedIps). INVALID_ARGUMENT naming the field otherwise.
absl::Status ValidateAuthTokenRequest(const AuthTokenRequest& request,
                                      absl::Time now);

// The closing tag of the root element.
inline constexpr absl::string_view kAuthTokenRequestEnd = "</AuthTokenRequest>";

// Appends the document above without its closing tag (the root's start tag
// and all children) to `out`: the place where an enveloped signature goes is
// right after it, before kAuthTokenRequestEnd. Precondition: `request`
// passed ValidateAuthTokenRequest (not checked again here; the writer only
// copies the fields).
void AppendAuthTokenRequestContent(const AuthTokenRequest& request,
                                   std::string* out);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_KSEF_AUTH_TOKEN_REQUEST_H_
