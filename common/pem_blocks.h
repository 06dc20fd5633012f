// The blocks of a PEM text ("-----BEGIN NAME-----" … "-----END NAME-----"),
// decoded: the one reader for certificate chains, Ministry certificates and
// trust anchors. What a block must be named is the caller's rule.
//
// Thread-safety: a pure function; leaves this thread's OpenSSL error queue
// empty.
#ifndef SEJF_COMMON_PEM_BLOCKS_H_
#define SEJF_COMMON_PEM_BLOCKS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf {

struct PemBlock {
  std::string name;  // "CERTIFICATE", "X509 CRL", …
  std::string der;   // the decoded Base64 body
};

// Every PEM block in `text`, in order; text between blocks is skipped, and
// text without any block gives an empty list. INVALID_ARGUMENT "PEM block N
// is damaged (bad Base64 or no END line)" for a block that does not decode.
absl::StatusOr<std::vector<PemBlock>> ReadPemBlocks(absl::string_view text);

}  // namespace sejf

#endif  // SEJF_COMMON_PEM_BLOCKS_H_
