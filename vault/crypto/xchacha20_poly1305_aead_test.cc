// XChaCha20Poly1305Aead: round trips, the documented layout (checked by
// calling libsodium directly on it), and tamper detection.
#include "vault/crypto/xchacha20_poly1305_aead.h"

#include <sodium.h>

#include <string>

#include "common/crypto_init.h"
#include "gtest/gtest.h"

namespace sejf::vault {
namespace {

SecretBytes RandomKey() {
  SecretBytes key(kXChaChaKeySize);
  randombytes_buf(key.data(), key.size());
  return key;
}

class XChaChaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    key_ = RandomKey();
    auto aead = XChaCha20Poly1305Aead::New(key_);
    ASSERT_TRUE(aead.ok()) << aead.status();
    aead_ = *std::move(aead);
  }

  SecretBytes key_;
  std::unique_ptr<XChaCha20Poly1305Aead> aead_;
};

TEST_F(XChaChaTest, RoundTripsWithAssociatedData) {
  auto ct = aead_->Encrypt("the plaintext", "place");
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(ct->size(), kXChaChaNonceSize + 13 + kXChaChaTagSize);
  EXPECT_EQ(ct->find("the plaintext"), std::string::npos);
  auto pt = aead_->Decrypt(*ct, "place");
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(SecretView(*pt), "the plaintext");
}

TEST_F(XChaChaTest, EmptyPlaintextRoundTrips) {
  auto ct = aead_->Encrypt("", "");
  ASSERT_TRUE(ct.ok());
  auto pt = aead_->Decrypt(*ct, "");
  ASSERT_TRUE(pt.ok());
  EXPECT_TRUE(pt->empty());
}

TEST_F(XChaChaTest, EveryEncryptionUsesAFreshNonce) {
  auto a = aead_->Encrypt("same", "ad");
  auto b = aead_->Encrypt("same", "ad");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->substr(0, kXChaChaNonceSize), b->substr(0, kXChaChaNonceSize));
  EXPECT_NE(*a, *b);
}

TEST_F(XChaChaTest, LayoutIsNonceThenLibsodiumCiphertext) {
  auto ct = aead_->Encrypt("layout", "ad");
  ASSERT_TRUE(ct.ok());
  const auto* bytes = reinterpret_cast<const unsigned char*>(ct->data());
  unsigned char out[64];
  unsigned long long size = 0;
  ASSERT_EQ(
      crypto_aead_xchacha20poly1305_ietf_decrypt(
          out, &size, nullptr, bytes + kXChaChaNonceSize,
          ct->size() - kXChaChaNonceSize,
          reinterpret_cast<const unsigned char*>("ad"), 2, bytes, key_.data()),
      0);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), size), "layout");
}

TEST_F(XChaChaTest, DecryptFailsWhenAssociatedDataDiffers) {
  auto ct = aead_->Encrypt("secret", "tokens/a v1");
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(aead_->Decrypt(*ct, "tokens/a v2").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(aead_->Decrypt(*ct, "").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(XChaChaTest, DecryptFailsWhenAnyByteIsFlipped) {
  auto ct = aead_->Encrypt("secret", "ad");
  ASSERT_TRUE(ct.ok());
  for (std::size_t i = 0; i < ct->size(); ++i) {
    std::string bad = *ct;
    bad[i] ^= 0x01;
    auto pt = aead_->Decrypt(bad, "ad");
    EXPECT_EQ(pt.status().code(), absl::StatusCode::kDataLoss) << "byte " << i;
  }
}

TEST_F(XChaChaTest, DecryptFailsForTruncatedCiphertext) {
  auto ct = aead_->Encrypt("secret", "ad");
  ASSERT_TRUE(ct.ok());
  for (std::size_t n :
       {std::size_t{0}, std::size_t{10},
        kXChaChaNonceSize + kXChaChaTagSize - 1, ct->size() - 1}) {
    EXPECT_EQ(aead_->Decrypt(ct->substr(0, n), "ad").status().code(),
              absl::StatusCode::kDataLoss)
        << n;
  }
}

TEST_F(XChaChaTest, DecryptFailsUnderAnotherKey) {
  auto other = XChaCha20Poly1305Aead::New(RandomKey());
  ASSERT_TRUE(other.ok());
  auto ct = aead_->Encrypt("secret", "ad");
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ((*other)->Decrypt(*ct, "ad").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(XChaChaTest, NewRefusesKeysOfAnotherSize) {
  for (std::size_t n : {0, 16, 31, 33, 64}) {
    auto aead = XChaCha20Poly1305Aead::New(SecretBytes(n));
    EXPECT_EQ(aead.status().code(), absl::StatusCode::kInvalidArgument) << n;
  }
}

}  // namespace
}  // namespace sejf::vault
