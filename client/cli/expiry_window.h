// The expiry window of `sejf key list --expiring` and `sejf status`: which
// keys' certificates end soon, judged on the client over ListKeys (each
// key carries its certificate's notAfter).
#ifndef SEJF_CLIENT_CLI_EXPIRY_WINDOW_H_
#define SEJF_CLIENT_CLI_EXPIRY_WINDOW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/key_types.h"

namespace sejf::client::cli {

// The window `sejf status` reports.
inline constexpr absl::Duration kStatusExpiryWindow = absl::Hours(24 * 30);

// "30d" or "12h": a whole number (1 to 3650 days' worth) and a unit, d or h.
// INVALID_ARGUMENT naming `flag` and saying what to write otherwise.
absl::StatusOr<absl::Duration> ParseExpiryWindow(absl::string_view flag,
                                                 absl::string_view text);

// True when the key has a certificate whose notAfter is before
// `now + window` — including certificates already expired.
bool ExpiresWithin(const Key& key, absl::Duration window, absl::Time now);

// How many `keys` ExpiresWithin the window, and the one that ends first.
struct ExpirySummary {
  int count = 0;
  std::optional<Key> soonest = std::nullopt;
};
ExpirySummary SummarizeExpiring(const std::vector<Key>& keys,
                                absl::Duration window, absl::Time now);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_EXPIRY_WINDOW_H_
