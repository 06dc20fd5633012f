// The identity of a caller, as policy and audit see it.
//
//   TLS caller:         the client certificate's first URI subjectAltName
//                       (e.g. "spiffe://acme/erp"), else its subject CN.
//   unix-socket caller: "unix:<uid>" of the peer process.
//
// An identity is 1..256 bytes of UTF-8 without control characters (C0, DEL,
// C1), and only the unix socket produces identities starting with "unix:",
// so a certificate can never pose as a local user.
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

// OK when `identity` may name a certificate holder (the rules above);
// otherwise INVALID_ARGUMENT saying which rule it breaks. The message never
// repeats the identity, which may hold control characters.
absl::Status CheckCertificateIdentity(absl::string_view identity);

// The identity of the TLS caller whose client certificate is `pem` (the
// gRPC auth-context property "x509_pem_cert"). The certificate must already
// have been verified by the TLS handshake: this function does not check its
// signature, chain or validity. UNAUTHENTICATED, saying why, when `pem` is
// not a certificate, when it has neither a URI subjectAltName nor exactly one
// subject CN, or when the chosen value breaks CheckCertificateIdentity.
absl::StatusOr<std::string> IdentityFromCertificatePem(absl::string_view pem);

// "unix:<uid>", the identity of a caller on the unix socket.
std::string UnixPeerIdentity(uid_t uid);

}  // namespace sejf::server

#endif  // SEJF_SERVER_TLS_PEER_IDENTITY_H_
