#include "server/resource_names.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sejf::server {
namespace {

TEST(ResourceNamesTest, KeyNameIsTheNameAfterKeys) {
  EXPECT_EQ(*KeyNameFromResource("keys/acme", "name"), "acme");
}

TEST(ResourceNamesTest, TokenNameIsTheNameAfterTokens) {
  EXPECT_EQ(*TokenNameFromResource("tokens/acme", "token"), "acme");
}

TEST(ResourceNamesTest, OtherCollectionNamesTheFieldAndTheForm) {
  auto bad = KeyNameFromResource("tokens/acme", "name");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "name must be"))
      << bad.status();
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "keys/{name}"))
      << bad.status();
  EXPECT_FALSE(TokenNameFromResource("keys/acme", "token").ok());
  EXPECT_FALSE(TokenNameFromResource("tokensacme", "token").ok());
}

TEST(ResourceNamesTest, NameBreakingTheNamingRuleIsRejected) {
  auto bad = TokenNameFromResource("tokens/a/b", "token");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "token"))
      << bad.status();
  EXPECT_FALSE(KeyNameFromResource("keys/", "name").ok());
}

}  // namespace
}  // namespace sejf::server
