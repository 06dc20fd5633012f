#include "server/policy/glob.h"

#include "gtest/gtest.h"

namespace sejf::server {
namespace {

TEST(GlobTest, LiteralPatternMatchesOnlyTheSameString) {
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp", "spiffe://acme/erp"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp", "spiffe://acme/erp/x"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp", "spiffe://acme/er"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp", "SPIFFE://acme/erp"));
}

TEST(GlobTest, StarMatchesAnyRunIncludingSlashesAndNothing) {
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erp/billing"));
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erp/a/b/c"));
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erp/"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erp"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erpx/a"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything at all"));
}

TEST(GlobTest, QuestionMarkMatchesExactlyOneCharacter) {
  EXPECT_TRUE(GlobMatch("nip:?", "nip:1"));
  EXPECT_FALSE(GlobMatch("nip:?", "nip:"));
  EXPECT_FALSE(GlobMatch("nip:?", "nip:12"));
}

TEST(GlobTest, StarBacktracksToFindALaterMatch) {
  EXPECT_TRUE(GlobMatch("*a*b", "xaxxb"));
  EXPECT_TRUE(GlobMatch("a*b*c", "abcbc"));
  EXPECT_TRUE(GlobMatch("*.read", "keys.read"));
  EXPECT_FALSE(GlobMatch("*.read", "keys.reader"));
  EXPECT_TRUE(GlobMatch("acme-*-prod", "acme-auth-eu-prod"));
  EXPECT_FALSE(GlobMatch("acme-*-prod", "acme-auth-prod-old"));
}

TEST(GlobTest, StarInTextIsOrdinaryCharacter) {
  EXPECT_TRUE(GlobMatch("a*", "a*"));
  EXPECT_FALSE(GlobMatch("a?", "a"));
}

TEST(GlobTest, ValidateRejectsEmptyAndBracketPatterns) {
  EXPECT_TRUE(ValidateGlob("nip:52658*").ok());
  EXPECT_FALSE(ValidateGlob("").ok());
  absl::Status s = ValidateGlob("nip:[0-9]*");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nip:[0-9]*"), absl::string_view::npos);
  EXPECT_FALSE(ValidateGlob("a\\*").ok());
}

}  // namespace
}  // namespace sejf::server
