#include "hsm/signatures.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

#include "absl/strings/escaping.h"
#include "common/openssl_ptr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::hsm {
namespace {

std::string Hex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

TEST(EcdsaEncodingTest, RawToDerAndBack) {
  // r has its top bit set (DER needs a leading zero), s has leading zeros.
  const std::string raw =
      Hex("8000000000000000000000000000000000000000000000000000000000000001"
          "0000000000000000000000000000000000000000000000000000000000000042");
  auto der = EcdsaRawToDer(raw);
  ASSERT_TRUE(der.ok()) << der.status();
  EXPECT_EQ(absl::BytesToHexString(*der),
            "302602210080000000000000000000000000000000000000000000000000000000"
            "0000000102014"
            "2");
  auto back = EcdsaDerToRaw(*der, 32);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, raw);
}

TEST(EcdsaEncodingTest, BadInputsAreInvalidArgument) {
  EXPECT_EQ(EcdsaRawToDer("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EcdsaRawToDer(std::string(63, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EcdsaDerToRaw("not der", 32).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto der = EcdsaRawToDer(std::string(64, '\x7f'));
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(EcdsaDerToRaw(*der + "x", 32).status().code(),  // trailing data
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EcdsaDerToRaw(*der, 16).status().code(),  // does not fit
            absl::StatusCode::kInvalidArgument);
}

class VerifySignatureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    ASSERT_NE(key_, nullptr);
    unsigned char* der = nullptr;
    const int size = i2d_PUBKEY(key_.get(), &der);
    ASSERT_GT(size, 0);
    spki_.assign(reinterpret_cast<char*>(der), size);
    OPENSSL_free(der);
  }

  std::string SignRaw(const std::string& data) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                                 key_.get()),
              1);
    std::string der(128, '\0');
    size_t size = der.size();
    EXPECT_EQ(
        EVP_DigestSign(
            ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &size,
            reinterpret_cast<const unsigned char*>(data.data()), data.size()),
        1);
    der.resize(size);
    return *EcdsaDerToRaw(der, 32);
  }

  EvpPkeyPtr key_;
  std::string spki_;
};

TEST_F(VerifySignatureTest, AcceptsGoodAndRejectsBadSignatures) {
  const std::string signature = SignRaw("data");
  EXPECT_TRUE(
      VerifySignature(spki_, SignatureScheme::kEcdsaSha256, "data", signature)
          .ok());
  EXPECT_EQ(
      VerifySignature(spki_, SignatureScheme::kEcdsaSha256, "datA", signature)
          .code(),
      absl::StatusCode::kDataLoss);
  std::string flipped = signature;
  flipped[5] ^= 1;
  EXPECT_EQ(
      VerifySignature(spki_, SignatureScheme::kEcdsaSha256, "data", flipped)
          .code(),
      absl::StatusCode::kDataLoss);
}

TEST_F(VerifySignatureTest, SchemeThatDoesNotFitOrBadKeyIsInvalidArgument) {
  const std::string signature = SignRaw("data");
  EXPECT_EQ(
      VerifySignature(spki_, SignatureScheme::kRsaPssSha256, "data", signature)
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifySignature("garbage", SignatureScheme::kEcdsaSha256, "data",
                            signature)
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sejf::hsm
