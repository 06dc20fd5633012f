#include "common/echo.h"

#include <string>

#include "gtest/gtest.h"

namespace sejf {
namespace {

TEST(ClipEchoTest, ShortPrintableValueIsUnchanged) {
  EXPECT_EQ(ClipEcho("acme-tok"), "acme-tok");
  EXPECT_EQ(ClipEcho("zażółć"), "zażółć");
  EXPECT_EQ(ClipEcho(""), "");
}

TEST(ClipEchoTest, LongValueKeepsItsStartAndSaysHowLongItWas) {
  std::string huge(3 * 1024 * 1024, 'a');
  std::string echoed = ClipEcho(huge);
  EXPECT_EQ(echoed, std::string(kMaxEchoSize, 'a') + "…(3145728 bytes)");
  EXPECT_LE(echoed.size(), kMaxEchoSize + 32);
}

TEST(ClipEchoTest, CutNeverSplitsACharacter) {
  // "ż" is two bytes: a cut at 3 bytes keeps "aż", at 2 keeps "a".
  EXPECT_EQ(ClipEcho("ażb", 3), "aż…(4 bytes)");
  EXPECT_EQ(ClipEcho("ażb", 2), "a…(4 bytes)");
}

TEST(ClipEchoTest, InvalidUtf8AndControlCharactersBecomeReplacementCharacters) {
  EXPECT_EQ(ClipEcho("a\xff"
                     "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ClipEcho("a\x1b[2Jb"), "a\xEF\xBF\xBD[2Jb");
  EXPECT_EQ(ClipEcho("line\nforged"),
            "line\xEF\xBF\xBD"
            "forged");
  // An overlong encoding of '/' and a lone surrogate are not UTF-8.
  EXPECT_EQ(ClipEcho("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ClipEcho("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(ClipTextTest, BoundsLengthButKeepsLineBreaks) {
  EXPECT_EQ(ClipText("two\nlines", 64), "two\nlines");
  EXPECT_EQ(ClipText(std::string(2000, 'x'), 1024),
            std::string(1024, 'x') + "…(2000 bytes)");
}

}  // namespace
}  // namespace sejf
