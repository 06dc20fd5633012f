// Memoizes IdentityFromCertificatePem for the certificates callers present.
//
// Parsing a client certificate costs ~0.3 ms with OpenSSL 3 (its public-key
// decoder dominates), which was the largest single cost of an empty RPC.
// A TLS connection presents the same certificate on every call, so sejfd
// looks the identity up by the certificate's exact PEM bytes instead. The
// mapping is a pure function of those bytes: the cache cannot grant what a
// fresh parse would not. Only identities are kept (a certificate that does
// not yield one is parsed, and refused, every time). It holds at most
// `capacity` certificates and forgets all of them when full, so memory is
// bounded whatever callers present (~1–2 KiB per entry).
//
// Revocation is checked on every call, cached or not, against the list the
// RevocationHolder holds at that moment: a CRL reloaded on SIGHUP refuses a
// revoked certificate on its very next call, even on an open connection.
//
// Thread-safety: thread-safe.
#ifndef SEJF_SERVER_TLS_PEER_IDENTITY_CACHE_H_
#define SEJF_SERVER_TLS_PEER_IDENTITY_CACHE_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/tls/peer_identity.h"
#include "server/tls/revocation_list.h"

namespace sejf::server {

class PeerIdentityCache {
 public:
  // `revocations` (may be null: nothing is revoked) must outlive the cache.
  explicit PeerIdentityCache(std::size_t capacity = 1024,
                             const RevocationHolder* revocations = nullptr);

  // IdentityFromCertificatePem(pem), from memory when `pem` was seen before;
  // UNAUTHENTICATED when the certificate is revoked.
  absl::StatusOr<std::string> Resolve(absl::string_view pem);

  std::size_t size() const;

 private:
  // UNAUTHENTICATED when `peer` is revoked now; else its identity.
  absl::StatusOr<std::string> Admit(const PeerCertificate& peer) const;

  const std::size_t capacity_;
  const RevocationHolder* const revocations_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, PeerCertificate> peers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_TLS_PEER_IDENTITY_CACHE_H_
