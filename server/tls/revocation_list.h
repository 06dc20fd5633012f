// Client-certificate revocation: the CRLs named by `[tls] crl`, checked on
// every call (not only at the handshake), and replaced whole on SIGHUP.
//
//   ASSIGN_OR_RETURN(auto crl, RevocationList::Parse(crl_file, ca_pem, now));
//   holder.Set(crl);  // PeerIdentityCache asks holder.Get()->IsRevoked(…)
//
// A CRL counts only when a certificate of the client CA bundle (`tls.ca`)
// issued it and its signature verifies: a file anyone can write cannot
// un-revoke or frame a certificate without the CA's key. A CRL past its
// nextUpdate still refuses everything it lists (the load reports it as
// stale, so an operator can renew it).
//
// Thread-safety: a RevocationList is immutable and safe to share;
// RevocationHolder is thread-safe.
#ifndef SEJF_SERVER_TLS_REVOCATION_LIST_H_
#define SEJF_SERVER_TLS_REVOCATION_LIST_H_

#include <openssl/x509.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/snapshot.h"

namespace sejf::server {

class RevocationList {
 public:
  // The CRLs in `crl_data` (one or more PEM "X509 CRL" blocks, or one DER
  // CRL). INVALID_ARGUMENT saying which CRL (1-based) and why when one does
  // not parse, was issued by no certificate of `ca_pem`, or its signature
  // does not verify. `warnings` (may be null) gets one line per CRL whose
  // nextUpdate is before `now`.
  static absl::StatusOr<std::shared_ptr<const RevocationList>> Parse(
      absl::string_view crl_data, absl::string_view ca_pem, absl::Time now,
      std::vector<std::string>* warnings = nullptr);

  // Whether a CRL of this list names `cert` (same issuer, same serial).
  bool IsRevoked(const X509& cert) const;
  // The same for a key made by RevocationKey.
  bool IsRevoked(absl::string_view revocation_key) const;

  // How many revoked certificates the list names.
  std::size_t size() const { return revoked_.size(); }

 private:
  RevocationList() = default;
  absl::flat_hash_set<std::string> revoked_;  // RevocationKey values
};

// What identifies `cert` to a CRL: its issuer name (DER) and serial number,
// in one string. Empty if OpenSSL cannot encode the issuer.
std::string RevocationKey(const X509& cert);

// The revocation list in force; null when `tls.crl` is not configured.
using RevocationHolder = Snapshot<RevocationList>;

}  // namespace sejf::server

#endif  // SEJF_SERVER_TLS_REVOCATION_LIST_H_
