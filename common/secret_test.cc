#include "common/secret.h"

#include "common/crypto_init.h"
#include "common/random.h"
#include "gtest/gtest.h"

namespace sejf {
namespace {

TEST(SecretTest, EqualsComparesContentAndLength) {
  ASSERT_TRUE(InitCrypto().ok());
  EXPECT_TRUE(SecretEquals(SecretFromView("abc"), SecretFromView("abc")));
  EXPECT_FALSE(SecretEquals(SecretFromView("abc"), SecretFromView("abd")));
  EXPECT_FALSE(SecretEquals(SecretFromView("abc"), SecretFromView("abcd")));
}

TEST(SecretTest, RandomAlphanumericSecretHasRequestedLengthAndAlphabet) {
  ASSERT_TRUE(InitCrypto().ok());
  SecretBytes a = RandomAlphanumericSecret(24);
  SecretBytes b = RandomAlphanumericSecret(24);
  ASSERT_EQ(a.size(), 24u);
  for (auto c : a) EXPECT_TRUE(std::isalnum(c)) << int(c);
  EXPECT_FALSE(SecretEquals(a, b));
}

}  // namespace
}  // namespace sejf
