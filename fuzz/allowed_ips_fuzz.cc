// AllowedIps (signer/ksef/allowed_ips.h): each input line is one entry; its
// first byte picks the kind (address, range, mask), the rest is the entry.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_split.h"
#include "fuzz/fuzz_check.h"
#include "signer/ksef/allowed_ips.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  sejf::signer::AllowedIps ips;
  for (absl::string_view line :
       absl::StrSplit(sejf::fuzz::Input(data, size), '\n')) {
    if (line.empty()) continue;
    std::string entry(line.substr(1));
    switch (static_cast<unsigned char>(line[0]) % 3) {
      case 0:
        ips.ip4_addresses.push_back(entry);
        break;
      case 1:
        ips.ip4_ranges.push_back(entry);
        break;
      default:
        ips.ip4_masks.push_back(entry);
        break;
    }
  }
  if (sejf::signer::ValidateAllowedIps(ips).ok()) {
    FUZZ_CHECK(ips.ip4_addresses.size() <= sejf::signer::kMaxAllowedIpsPerKind);
    FUZZ_CHECK(ips.ip4_ranges.size() <= sejf::signer::kMaxAllowedIpsPerKind);
    FUZZ_CHECK(ips.ip4_masks.size() <= sejf::signer::kMaxAllowedIpsPerKind);
  }
  return 0;
}
