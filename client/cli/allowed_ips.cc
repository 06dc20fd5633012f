#include "client/cli/allowed_ips.h"

#include "absl/strings/match.h"

namespace sejf::client::cli {

AllowedIps SortAllowedIps(const std::vector<std::string>& ips) {
  AllowedIps out;
  for (const std::string& ip : ips) {
    if (absl::StrContains(ip, '-')) {
      out.ip4_ranges.push_back(ip);
    } else if (absl::StrContains(ip, '/')) {
      out.ip4_masks.push_back(ip);
    } else {
      out.ip4_addresses.push_back(ip);
    }
  }
  return out;
}

}  // namespace sejf::client::cli
