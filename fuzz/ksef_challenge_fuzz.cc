// KSeF's authentication challenge (signer/ksef/challenge.h), as a client
// sends it for signing: an accepted challenge has exactly its fixed size.
#include <cstddef>
#include <cstdint>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_check.h"
#include "signer/ksef/challenge.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const absl::Time kNow = absl::FromCivil(
      absl::CivilSecond(2025, 5, 14, 12, 0, 0), absl::UTCTimeZone());
  absl::string_view challenge = sejf::fuzz::Input(data, size);
  if (sejf::signer::ValidateChallenge(challenge, kNow).ok()) {
    FUZZ_CHECK(challenge.size() == sejf::signer::kChallengeSize);
  }
  return 0;
}
