#include "vault/records/decoded_record_cache.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sejf::vault {
namespace {

// Decodes "<number>" and counts how often it ran.
struct CountingDecoder {
  int calls = 0;
  absl::StatusOr<int> operator()(absl::string_view data) {
    ++calls;
    int value;
    if (!absl::SimpleAtoi(data, &value)) {
      return absl::DataLossError("not a number");
    }
    return value;
  }
};

TEST(DecodedRecordCacheTest, SameBytesAreDecodedOnce) {
  DecodedRecordCache<int> cache;
  CountingDecoder decoder;
  EXPECT_EQ(*cache.Decode("a", "7", std::ref(decoder)), 7);
  EXPECT_EQ(*cache.Decode("a", "7", std::ref(decoder)), 7);
  EXPECT_EQ(decoder.calls, 1);
}

TEST(DecodedRecordCacheTest, ChangedBytesAreDecodedAgain) {
  DecodedRecordCache<int> cache;
  CountingDecoder decoder;
  EXPECT_EQ(*cache.Decode("a", "7", std::ref(decoder)), 7);
  // The record changed in storage (another replica, or a re-created name).
  EXPECT_EQ(*cache.Decode("a", "8", std::ref(decoder)), 8);
  EXPECT_EQ(*cache.Decode("a", "7", std::ref(decoder)), 7);
  EXPECT_EQ(decoder.calls, 3);
}

TEST(DecodedRecordCacheTest, NamesDoNotShareEntries) {
  DecodedRecordCache<int> cache;
  CountingDecoder decoder;
  EXPECT_EQ(*cache.Decode("a", "1", std::ref(decoder)), 1);
  EXPECT_EQ(*cache.Decode("b", "1", std::ref(decoder)), 1);
  EXPECT_EQ(decoder.calls, 2);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(DecodedRecordCacheTest, FailuresAreNotKept) {
  DecodedRecordCache<int> cache;
  CountingDecoder decoder;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(cache.Decode("a", "garbage", std::ref(decoder)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(decoder.calls, 2);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DecodedRecordCacheTest, StaysWithinItsCapacity) {
  DecodedRecordCache<int> cache(/*capacity=*/3);
  CountingDecoder decoder;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(
        *cache.Decode(absl::StrCat("k", i), absl::StrCat(i), std::ref(decoder)),
        i);
    EXPECT_LE(cache.size(), 3u);
  }
}

}  // namespace
}  // namespace sejf::vault
