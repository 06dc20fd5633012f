// The KSeF authentication challenge (POST /auth/challenge, ksef-protocol.md
// §3.2), as it goes into an AuthTokenRequest.
//
// Form: YYYYMMDD-CR-XXXXXXXXXX-XXXXXXXXXX-XX, i.e. the XSD pattern
// \d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2} (36 characters, upper-case
// hex), e.g. 20250514-CR-226FB7B000-3ACF9BE4C0-10. The leading date is the
// day KSeF issued it; a challenge lives 10 minutes, so one dated more than a
// day away from today (UTC) is refused as stale.
//
// Thread-safety: pure functions.
#ifndef SEJF_SIGNER_KSEF_CHALLENGE_H_
#define SEJF_SIGNER_KSEF_CHALLENGE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sejf::signer {

inline constexpr std::size_t kChallengeSize = 36;

// OK when `challenge` has the form above, its date is a real calendar date,
// and that date is today, yesterday or tomorrow in UTC at `now`.
// INVALID_ARGUMENT naming `field` otherwise: "challenge must match
// YYYYMMDD-CR-XXXXXXXXXX-XXXXXXXXXX-XX ..." for a malformed one (the bad
// text is not repeated beyond its first characters), "... is stale ..." for
// one dated too far from today.
absl::Status ValidateChallenge(absl::string_view challenge, absl::Time now,
                               absl::string_view field = "challenge");

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_KSEF_CHALLENGE_H_
