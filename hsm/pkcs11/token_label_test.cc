#include "hsm/pkcs11/token_label.h"

#include <string>

#include "gtest/gtest.h"

namespace sejf::hsm::pkcs11 {
namespace {

TEST(PadTokenLabel, PadsWithSpacesToThirtyTwoBytes) {
  auto padded = PadTokenLabel("sejf");
  ASSERT_TRUE(padded.ok()) << padded.status();
  EXPECT_EQ(std::string(padded->begin(), padded->end()),
            "sejf" + std::string(28, ' '));
}

TEST(PadTokenLabel, AcceptsExactlyThirtyTwoBytes) {
  EXPECT_TRUE(PadTokenLabel(std::string(32, 'x')).ok());
}

TEST(PadTokenLabel, RejectsLongerLabelQuotingIt) {
  std::string label(33, 'x');
  auto padded = PadTokenLabel(label);
  EXPECT_EQ(padded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(padded.status().message().find(label), std::string::npos);
}

TEST(PadTokenLabel, RejectsEmptyLabelAndTrailingSpace) {
  EXPECT_EQ(PadTokenLabel("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PadTokenLabel("sejf ").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TrimPaddedField, DropsTrailingSpacesAndNulsOnly) {
  const CK_UTF8CHAR field[8] = {' ', 'a', ' ', 'b', ' ', ' ', '\0', ' '};
  EXPECT_EQ(TrimPaddedField(field, sizeof(field)), " a b");
  const CK_UTF8CHAR blank[4] = {' ', ' ', ' ', ' '};
  EXPECT_EQ(TrimPaddedField(blank, sizeof(blank)), "");
}

}  // namespace
}  // namespace sejf::hsm::pkcs11
