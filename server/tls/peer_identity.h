// The identity of a caller, as policy and audit see it. Three forms that
// cannot collide, so the form shows where an identity came from:
//
//   TLS caller with a URI subjectAltName: that URI, which must be absolute
//                       ("spiffe://acme/erp": a scheme, then ':'), not of
//                       the reserved scheme "unix", and without "." or ".."
//                       path segments;
//   TLS caller without one: the subject CN, which must not contain ':'
//                       ("admin", "erp-1");
//   unix-socket caller: "unix:<uid>" of the peer process.
//
// Every identity is 1..256 bytes of UTF-8 without control characters (C0,
// DEL, C1). A certificate whose URI SAN breaks the rules is refused, never
// read by its CN instead.
//
// Every function is thread-safe (no shared state).
#ifndef SEJF_SERVER_TLS_PEER_IDENTITY_H_
#define SEJF_SERVER_TLS_PEER_IDENTITY_H_

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::server {

inline constexpr std::size_t kMaxIdentityBytes = 256;
inline constexpr absl::string_view kUnixIdentityPrefix = "unix:";

// OK when `identity` may be a caller's identity at all (length, UTF-8, no
// control characters); otherwise INVALID_ARGUMENT saying which rule it
// breaks. The message never repeats the identity, which may hold control
// characters.
absl::Status CheckCertificateIdentity(absl::string_view identity);

// CheckCertificateIdentity, and the rules above for a subject CN (no ':').
absl::Status CheckCommonNameIdentity(absl::string_view common_name);

// CheckCertificateIdentity, and the rules above for a URI subjectAltName.
absl::Status CheckUriIdentity(absl::string_view uri);

// The identity of the TLS caller whose client certificate is `pem` (the
// gRPC auth-context property "x509_pem_cert"). The certificate must already
// have been verified by the TLS handshake: this function does not check its
// signature, chain or validity. UNAUTHENTICATED, saying why, when `pem` is
// not a certificate, when it has neither a URI subjectAltName nor exactly one
// subject CN, or when the chosen value breaks CheckUriIdentity or
// CheckCommonNameIdentity.
absl::StatusOr<std::string> IdentityFromCertificatePem(absl::string_view pem);

// A client certificate as the RPC frame needs it.
struct PeerCertificate {
  std::string identity;
  std::string revocation_key;  // RevocationKey (revocation_list.h)
};

// IdentityFromCertificatePem, together with what a CRL knows it by.
absl::StatusOr<PeerCertificate> ReadPeerCertificate(absl::string_view pem);

// "unix:<uid>", the identity of a caller on the unix socket.
std::string UnixPeerIdentity(uid_t uid);

}  // namespace sejf::server

#endif  // SEJF_SERVER_TLS_PEER_IDENTITY_H_
