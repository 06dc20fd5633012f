// What KSeF answered when a call failed, carried in the absl::Status as a
// payload (like the field tag of common/status_context.h), so the broker
// decides on KSeF's codes — "refresh refused" (21301), "unknown public key"
// (21470), "retry after 5 s" — and never on message text.
//
// Thread-safety: pure functions.
#ifndef SEJF_BROKER_KSEF_API_KSEF_ERROR_H_
#define SEJF_BROKER_KSEF_API_KSEF_ERROR_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sejf::broker {

struct KsefError {
  int http_status = 0;                    // 0: no answer (network, timeout)
  std::vector<int> exception_codes = {};  // from a 400 exception body
  // From a 429's (or 503's) Retry-After.
  std::optional<absl::Duration> retry_after = {};
  // The request may have been acted on by KSeF but no usable answer came (a
  // lost answer, a 5xx), and it is not one that is sent again (it makes
  // something in KSeF: ksef_http_api.h): whatever it made may exist
  // without sejf knowing it.
  bool outcome_unknown = false;
  bool operator==(const KsefError&) const = default;
};

// `status` (not OK) with `error` attached; OK stays OK.
absl::Status WithKsefError(absl::Status status, const KsefError& error);

// The KsefError attached to `status`, if any.
std::optional<KsefError> KsefErrorOf(const absl::Status& status);

// Whether `status` carries KSeF exception code `code`.
bool HasKsefCode(const absl::Status& status, int code);

}  // namespace sejf::broker

#endif  // SEJF_BROKER_KSEF_API_KSEF_ERROR_H_
