#include "signer/ksef/allowed_ips.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sejf::signer {
namespace {

TEST(AllowedIpsTest, AcceptsEachFormAtItsLimits) {
  AllowedIps ips;
  ips.ip4_addresses = {"0.0.0.0", "255.255.255.255", "192.168.0.1",
                       "10.20.30.40"};
  ips.ip4_ranges = {"10.0.0.1-10.0.0.20", "1.2.3.4-1.2.3.4"};
  ips.ip4_masks = {"192.168.0.0/24", "0.0.0.0/0", "10.1.2.3/32"};
  EXPECT_TRUE(ValidateAllowedIps(ips).ok()) << ValidateAllowedIps(ips);
  EXPECT_TRUE(ValidateAllowedIps({}).ok());
  EXPECT_TRUE(AllowedIps{}.empty());
  EXPECT_FALSE(ips.empty());
}

TEST(AllowedIpsTest, RefusesBadAddressesNamingTheEntry) {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04",
        "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1..3.4", "a.b.c.d", "1.2.3.4/8",
        "<Ip4Address>1.2.3.4</Ip4Address>", "1.2.3.4&amp;", "1000.2.3.4"}) {
    AllowedIps ips;
    ips.ip4_addresses = {"1.1.1.1", bad};
    absl::Status s = ValidateAllowedIps(ips);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(
        absl::StartsWith(s.message(), "allowed_ips.ip4_addresses[1] must be"))
        << s;
  }
}

TEST(AllowedIpsTest, RefusesBadRangesAndMasks) {
  for (const char* bad : {"1.2.3.4", "1.2.3.4-", "-1.2.3.4", "1.2.3.5-1.2.3.4",
                          "1.2.3.4-1.2.3.4-1.2.3.5", "1.2.3.4 - 1.2.3.5"}) {
    AllowedIps ips;
    ips.ip4_ranges = {bad};
    absl::Status s = ValidateAllowedIps(ips);
    EXPECT_TRUE(absl::StartsWith(s.message(), "allowed_ips.ip4_ranges[0]"))
        << bad << ": " << s;
  }
  for (const char* bad : {"1.2.3.4", "1.2.3.4/33", "1.2.3.4/08", "1.2.3.4/",
                          "1.2.3/24", "1.2.3.4/2/4", "1.2.3.4/-1"}) {
    AllowedIps ips;
    ips.ip4_masks = {bad};
    absl::Status s = ValidateAllowedIps(ips);
    EXPECT_TRUE(absl::StartsWith(s.message(), "allowed_ips.ip4_masks[0]"))
        << bad << ": " << s;
  }
}

TEST(AllowedIpsTest, RefusesMoreThanTenOfAKind) {
  AllowedIps ips;
  for (int i = 0; i < 10; ++i) {
    ips.ip4_masks.push_back("10.0.0." + std::to_string(i) + "/32");
  }
  EXPECT_TRUE(ValidateAllowedIps(ips).ok());
  ips.ip4_masks.push_back("10.0.0.10/32");
  absl::Status s = ValidateAllowedIps(ips);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "at most 10")) << s;
}

}  // namespace
}  // namespace sejf::signer
