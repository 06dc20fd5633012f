#include "vault/storage/record_rules.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vault/storage/storage.h"

namespace sejf::vault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RecordRulesTest, NamesAcceptAnyUtf8WithoutControlCharacters) {
  EXPECT_TRUE(ValidateName("\xc2\xa0nbsp").ok());          // U+00A0
  EXPECT_TRUE(ValidateName("\xf0\x9f\x94\x91 key").ok());  // U+1F511
  EXPECT_TRUE(ValidateName("\xf4\x8f\xbf\xbf").ok());      // U+10FFFF
  EXPECT_TRUE(ValidateName("\xef\xbf\xbd").ok());          // U+FFFD
  EXPECT_FALSE(ValidateName("\xf4\x90\x80\x80").ok());     // > U+10FFFF
  EXPECT_FALSE(ValidateName("\xe0\x80\xaf").ok());         // overlong '/'
  EXPECT_FALSE(ValidateName("\xf0\x9f\x94").ok());         // truncated
  EXPECT_FALSE(ValidateName("a\xc2\x9f").ok());            // U+009F (C1)
}

TEST(RecordRulesTest, MessagesEscapeWhatTheyQuote) {
  absl::Status s = ValidateName("evil\nlog line\x1b[31m");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("\n")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("\x1b")));
  EXPECT_THAT(s.message(), HasSubstr("at byte 4"));

  absl::Status k = ValidateKind("To\nkens");
  EXPECT_THAT(std::string(k.message()), Not(HasSubstr("\n")));
  EXPECT_THAT(k.message(), HasSubstr("a-z"));

  absl::Status n = NotFoundError("tokens", "faktura-\xc5\xbc");
  EXPECT_THAT(n.message(), HasSubstr("\"faktura-\xc5\xbc\""));  // kept readable
}

TEST(RecordRulesTest, LongNameMessageGivesSizesNotTheName) {
  absl::Status s = ValidateName(std::string(300, 'q'));
  EXPECT_THAT(s.message(), HasSubstr("300 bytes"));
  EXPECT_THAT(s.message(), HasSubstr("255"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("qqqq")));
}

TEST(RecordRulesTest, ListLimitIsNormalized) {
  EXPECT_EQ(*NormalizeListLimit(0), kDefaultListLimit);
  EXPECT_EQ(*NormalizeListLimit(1), 1);
  EXPECT_EQ(*NormalizeListLimit(kMaxListLimit), kMaxListLimit);
  EXPECT_EQ(*NormalizeListLimit(kMaxListLimit + 1), kMaxListLimit);
  EXPECT_EQ(NormalizeListLimit(-5).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RecordRulesTest, StorageTimeRoundsDownToMicroseconds) {
  const absl::Time t = absl::FromUnixMicros(1234567);
  EXPECT_EQ(StorageTime(t + absl::Nanoseconds(999)), t);
  EXPECT_EQ(StorageTime(t - absl::Nanoseconds(1)), t - absl::Microseconds(1));
}

}  // namespace
}  // namespace sejf::vault
