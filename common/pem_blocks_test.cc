#include "common/pem_blocks.h"

#include <openssl/err.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf {
namespace {

using ::testing::HasSubstr;

TEST(PemBlocksTest, ReadsEveryBlockInOrderSkippingTextBetween) {
  auto blocks = ReadPemBlocks(
      "subject=whatever\n"
      "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n"
      "a comment\n"
      "-----BEGIN X509 CRL-----\nBAUG\n-----END X509 CRL-----\n");
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].name, "CERTIFICATE");
  EXPECT_EQ((*blocks)[0].der, std::string("\x01\x02\x03"));
  EXPECT_EQ((*blocks)[1].name, "X509 CRL");
  EXPECT_EQ((*blocks)[1].der, std::string("\x04\x05\x06"));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PemBlocksTest, TextWithoutBlocksIsAnEmptyList) {
  for (const char* text : {"", "no PEM here", "\x30\x82\x01\x0a"}) {
    auto blocks = ReadPemBlocks(text);
    ASSERT_TRUE(blocks.ok()) << blocks.status();
    EXPECT_TRUE(blocks->empty());
  }
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PemBlocksTest, DamagedBlockIsInvalidArgumentNamingIt) {
  for (const char* text :
       {"-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n"
        "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n"
        "-----BEGIN CERTIFICATE-----\nAQID\n"}) {
    auto blocks = ReadPemBlocks(text);
    EXPECT_EQ(blocks.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(blocks.status().message(), HasSubstr("PEM block 2 is damaged"));
  }
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace sejf
