#include "server/policy/glob.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sejf::server {
namespace {

TEST(GlobTest, LiteralPatternMatchesOnlyTheSameString) {
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp", "spiffe://acme/erp"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp", "spiffe://acme/erp/x"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp", "spiffe://acme/er"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp", "SPIFFE://acme/erp"));
}

TEST(GlobTest, StarMatchesAnyRunWithinOnePathSegment) {
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erp/billing"));
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erp/"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erp/a/b/c"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erp"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erpx/a"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything at all"));
  EXPECT_FALSE(GlobMatch("*", "a/b"));
}

// The finding of the security review: "spiffe://acme/erp/*" must not reach
// an identity outside the erp tree by way of "..".
TEST(GlobTest, StarDoesNotClimbOutOfItsSegment) {
  EXPECT_FALSE(
      GlobMatch("spiffe://acme/erp/*", "spiffe://acme/erp/../ops/key-admin"));
  EXPECT_FALSE(
      GlobMatch("spiffe://acme/*/billing", "spiffe://acme/erp/../ops/billing"));
}

TEST(GlobTest, DoubleStarMatchesAnyDepth) {
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp/**", "spiffe://acme/erp/a/b/c"));
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp/**", "spiffe://acme/erp/billing"));
  EXPECT_TRUE(GlobMatch("spiffe://acme/erp/**", "spiffe://acme/erp/"));
  EXPECT_FALSE(GlobMatch("spiffe://acme/erp/**", "spiffe://acme/erpx/a"));
  EXPECT_TRUE(GlobMatch("**", "a/b/c"));
  EXPECT_TRUE(GlobMatch("***", "a/b/c"));
  EXPECT_TRUE(GlobMatch("spiffe://**/billing", "spiffe://acme/eu/billing"));
  EXPECT_FALSE(GlobMatch("spiffe://**/billing", "spiffe://acme/eu/billing2"));
  EXPECT_TRUE(GlobMatch("**/a*/c", "x/y/ab/c"));
  EXPECT_FALSE(GlobMatch("**/a*/c", "x/y/a/b/c"));
}

TEST(GlobTest, QuestionMarkDoesNotMatchSlash) {
  EXPECT_FALSE(GlobMatch("a?b", "a/b"));
  EXPECT_TRUE(GlobMatch("a?b", "a-b"));
}

// A slow, obviously correct matcher: every way to split the text.
bool ReferenceMatch(absl::string_view pattern, absl::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern.substr(0, 2) == "**") {
    std::size_t run = pattern.find_first_not_of('*');
    absl::string_view rest =
        run == absl::string_view::npos ? "" : pattern.substr(run);
    for (std::size_t k = 0; k <= text.size(); ++k) {
      if (ReferenceMatch(rest, text.substr(k))) return true;
    }
    return false;
  }
  if (pattern[0] == '*') {
    for (std::size_t k = 0; k <= text.size(); ++k) {
      if (ReferenceMatch(pattern.substr(1), text.substr(k))) return true;
      if (k < text.size() && text[k] == '/') return false;
    }
    return false;
  }
  if (text.empty()) return false;
  if (pattern[0] == '?' ? text[0] == '/' : pattern[0] != text[0]) return false;
  return ReferenceMatch(pattern.substr(1), text.substr(1));
}

TEST(GlobTest, AgreesWithAReferenceMatcherOnEveryShortInput) {
  // Every pattern of up to 5 symbols over {a, /, *, ?} against every text of
  // up to 5 bytes over {a, b, /}.
  const char pattern_symbols[] = {'a', '/', '*', '?'};
  const char text_symbols[] = {'a', 'b', '/'};
  std::vector<std::string> patterns = {""}, texts = {""};
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    if (patterns[i].size() == 5) continue;
    for (char c : pattern_symbols) patterns.push_back(patterns[i] + c);
  }
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].size() == 5) continue;
    for (char c : text_symbols) texts.push_back(texts[i] + c);
  }
  int disagreements = 0;
  for (const std::string& p : patterns) {
    for (const std::string& t : texts) {
      if (GlobMatch(p, t) != ReferenceMatch(p, t) && ++disagreements < 10) {
        ADD_FAILURE() << "pattern \"" << p << "\" text \"" << t << "\"";
      }
    }
  }
  EXPECT_EQ(disagreements, 0);
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
