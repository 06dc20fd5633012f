// The sealed record format: layout as documented, and binding to its place:
// a sealed record moved to another row or version, or altered, fails to
// open with DATA_LOSS.
#include "vault/crypto/sealed_record.h"

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/crypto_init.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "vault/storage/memory_storage.h"

namespace sejf::vault {
namespace {

class SealedRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    auto keyring = Keyring::Open(&storage_, &keys_, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
  }

  std::string SealOrDie(absl::string_view secret, const SealedPlace& place) {
    auto sealed = Seal(*keyring_, secret, place);
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    return sealed.ok() ? *sealed : std::string();
  }

  absl::StatusCode OpenCode(absl::string_view sealed,
                            const SealedPlace& place) {
    return Open(*keyring_, sealed, place).status().code();
  }

  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  hsm::testing::FakeKeyStore keys_;
  MemoryStorage storage_{clock_};
  std::unique_ptr<Keyring> keyring_;
};

constexpr SealedPlace kPlace{.kind = "tokens", .id = "acme", .version = 3};

TEST_F(SealedRecordTest, RoundTripsAtItsPlace) {
  std::string sealed = SealOrDie("ksef-token-value", kPlace);
  auto secret = Open(*keyring_, sealed, kPlace);
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(SecretView(*secret), "ksef-token-value");
}

TEST_F(SealedRecordTest, LayoutIsFormatDekIdNonceCiphertextTag) {
  std::string sealed = SealOrDie("0123456789", kPlace);
  ASSERT_EQ(sealed.size(), 1 + 4 + 24 + 10 + 16);
  EXPECT_EQ(sealed[0], '\x01');
  EXPECT_EQ(sealed.substr(1, 4), std::string("\0\0\0\1", 4));
  EXPECT_EQ(*SealedDataKeyId(sealed), 1u);
  ASSERT_TRUE(keyring_->Rotate().ok());
  std::string second = SealOrDie("0123456789", kPlace);
  EXPECT_EQ(second.substr(1, 4), std::string("\0\0\0\2", 4));
  // The body is the AEAD's output under the documented associated data.
  auto aead = keyring_->Get(2);
  ASSERT_TRUE(aead.ok());
  auto plain =
      (*aead)->Decrypt(second.substr(5), SealedAssociatedData(2, kPlace));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(SecretView(*plain), "0123456789");
}

TEST_F(SealedRecordTest, MovedToAnotherRowFailsWithDataLoss) {
  std::string sealed = SealOrDie("secret", kPlace);
  EXPECT_EQ(OpenCode(sealed, {.kind = "tokens", .id = "other", .version = 3}),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OpenCode(sealed, {.kind = "keys", .id = "acme", .version = 3}),
            absl::StatusCode::kDataLoss);
}

TEST_F(SealedRecordTest, RestoredToAnotherVersionFailsWithDataLoss) {
  std::string sealed = SealOrDie("secret", kPlace);
  EXPECT_EQ(OpenCode(sealed, {.kind = "tokens", .id = "acme", .version = 4}),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OpenCode(sealed, {.kind = "tokens", .id = "acme", .version = 2}),
            absl::StatusCode::kDataLoss);
}

TEST_F(SealedRecordTest, LengthPrefixesKeepKindAndIdApart) {
  EXPECT_NE(SealedAssociatedData(1, {.kind = "ab", .id = "c", .version = 1}),
            SealedAssociatedData(1, {.kind = "a", .id = "bc", .version = 1}));
  std::string sealed = SealOrDie("s", {.kind = "ab", .id = "c", .version = 1});
  EXPECT_EQ(OpenCode(sealed, {.kind = "a", .id = "bc", .version = 1}),
            absl::StatusCode::kDataLoss);
}

TEST_F(SealedRecordTest, AnyFlippedByteFailsWithDataLoss) {
  std::string sealed = SealOrDie("secret", kPlace);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x20;
    EXPECT_EQ(OpenCode(bad, kPlace), absl::StatusCode::kDataLoss)
        << "byte " << i;
  }
}

TEST_F(SealedRecordTest, UnknownDataKeyOrFormatOrShortInputIsDataLoss) {
  std::string sealed = SealOrDie("secret", kPlace);
  std::string unknown_key = sealed;
  unknown_key[4] = '\x63';  // dek id 99
  auto opened = Open(*keyring_, unknown_key, kPlace);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(opened.status().message().find("data key 99"), std::string::npos);
  std::string other_format = sealed;
  other_format[0] = '\x02';
  EXPECT_EQ(OpenCode(other_format, kPlace), absl::StatusCode::kDataLoss);
  EXPECT_EQ(OpenCode(sealed.substr(0, kSealedOverhead - 1), kPlace),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OpenCode("", kPlace), absl::StatusCode::kDataLoss);
}

TEST_F(SealedRecordTest, SwappingDekIdToAnotherHeldKeyIsDataLoss) {
  std::string sealed = SealOrDie("secret", kPlace);
  ASSERT_TRUE(keyring_->Rotate().ok());
  std::string relabelled = sealed;
  relabelled[4] = '\x02';  // claims DEK 2, which exists
  EXPECT_EQ(OpenCode(relabelled, kPlace), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Open(*keyring_, sealed, kPlace).ok());
}

}  // namespace
}  // namespace sejf::vault
