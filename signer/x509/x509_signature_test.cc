#include "signer/x509/x509_signature.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signer/x509/testing/openssl_cli.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::RunOpenssl;
using ::sejf::signer::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(EcdsaRawToDerTest, MinimalIntegersWithSignPadding) {
  // r = 1 (31 leading zero bytes), s = 0x80 00..00 (top bit set).
  std::string raw(64, '\0');
  raw[31] = '\x01';
  raw[32] = '\x80';
  auto der = EcdsaRawToDer(raw);
  ASSERT_TRUE(der.ok()) << der.status();
  std::string expected = std::string("\x30\x26\x02\x01\x01\x02\x21\x00", 8) +
                         std::string("\x80", 1) + std::string(31, '\0');
  EXPECT_EQ(*der, expected);
}

TEST(EcdsaRawToDerTest, WrongSizeOrZeroIsInternal) {
  EXPECT_EQ(EcdsaRawToDer(std::string(63, '\x01')).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(EcdsaRawToDer(std::string(72, '\x01')).status().code(),
            absl::StatusCode::kInternal);
  std::string zero_r(64, '\0');
  zero_r[63] = '\x01';
  EXPECT_THAT(EcdsaRawToDer(zero_r).status().message(),
              HasSubstr("r or s zero"));
}

// The AlgorithmIdentifier constants, read by openssl asn1parse.
TEST(SignatureAlgorithmTest, PssParametersAreSha256Mgf1Sha256Salt32) {
  ScratchDir dir;
  std::string path = dir.Write(
      "pss.der",
      std::string(SignatureAlgorithmDer(SignatureScheme::kRsaPssSha256)));
  auto parsed = RunOpenssl({"asn1parse", "-inform", "DER", "-in", path});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.out;
  EXPECT_THAT(parsed.out, HasSubstr(":rsassaPss"));
  EXPECT_THAT(parsed.out, HasSubstr(":sha256"));
  EXPECT_THAT(parsed.out, HasSubstr(":mgf1"));
  EXPECT_THAT(parsed.out, HasSubstr("INTEGER           :20"));
  EXPECT_THAT(parsed.out, Not(HasSubstr("error")));
}

TEST(SignatureAlgorithmTest, EachSchemeParses) {
  for (SignatureScheme scheme :
       {SignatureScheme::kEcdsaSha256, SignatureScheme::kRsaPkcs1Sha256,
        SignatureScheme::kRsaPssSha256}) {
    auto algorithm = SignatureAlgorithm(scheme);
    EXPECT_TRUE(algorithm.ok()) << SignatureSchemeName(scheme);
  }
}

}  // namespace
}  // namespace sejf::signer
