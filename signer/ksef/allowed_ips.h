// AuthTokenRequest/AuthorizationPolicy/AllowedIps: the IPv4 addresses KSeF
// will accept the resulting tokens from (ksef-protocol.md §5.1).
//
// Accepted forms (the same language as the XSD patterns of both schema
// versions: the 2.0 schema writes it with \b and ^$, the 2.1 schema as a
// plain XML Schema regex; both mean dotted decimal without leading zeros):
//   Ip4Address  a.b.c.d          each part 0..255, no leading zeros
//   Ip4Range    a.b.c.d-e.f.g.h  two addresses, the first not after the
//                                second (a check of ours, not the XSD's)
//   Ip4Mask     a.b.c.d/n        n in 0..32, no leading zeros
// At most kMaxAllowedIpsPerKind of each kind; no whitespace anywhere.
//
// Thread-safety: a value type and pure functions.
#ifndef SEJF_SIGNER_KSEF_ALLOWED_IPS_H_
#define SEJF_SIGNER_KSEF_ALLOWED_IPS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace sejf::signer {

inline constexpr std::size_t kMaxAllowedIpsPerKind = 10;

struct AllowedIps {
  std::vector<std::string> ip4_addresses = {};  // "192.168.0.1"
  std::vector<std::string> ip4_ranges = {};     // "10.0.0.1-10.0.0.20"
  std::vector<std::string> ip4_masks = {};      // "192.168.0.0/24"

  // True when there is no entry at all (then the document has no
  // AuthorizationPolicy).
  bool empty() const {
    return ip4_addresses.empty() && ip4_ranges.empty() && ip4_masks.empty();
  }
  bool operator==(const AllowedIps&) const = default;
};

// OK when every entry has its form and no kind has more than
// kMaxAllowedIpsPerKind entries. INVALID_ARGUMENT naming the entry, e.g.
// "allowed_ips.ip4_ranges[1] must be two IPv4 addresses a.b.c.d-e.f.g.h ...".
absl::Status ValidateAllowedIps(const AllowedIps& ips);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_KSEF_ALLOWED_IPS_H_
