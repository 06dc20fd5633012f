#include "hsm/token.h"

#include <string>

#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/pkcs11/session.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm {
namespace {

using ::sejf::hsm::testing::kSoftHsmModule;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUserPin[] = "user-pin-4711";

class OpenTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    ASSERT_TRUE(testing::UseSoftHsmStore(dir_.path()).ok());
    ASSERT_TRUE(
        testing::InitTokenWithTool("prod", "so-pin-0815", kUserPin).ok());
    pin_file_ = dir_.path() + "/pin";
  }

  testing::TempDir dir_;
  std::string pin_file_;
};

TEST_F(OpenTokenTest, OpensTheLabelledTokenWithThePinFromTheFile) {
  ASSERT_TRUE(
      WriteFileAtomically(pin_file_, std::string(kUserPin) + "\n", 0600).ok());
  auto token = OpenToken(kSoftHsmModule, "prod", pin_file_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->label, "prod");
  EXPECT_EQ(SecretView(token->user_pin), kUserPin);
  // The slot is usable with the returned module and PIN.
  auto session = pkcs11::Session::Open(token->module, token->slot,
                                       pkcs11::Session::Access::kReadOnly);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_TRUE(session->Login(CKU_USER, token->user_pin).ok());
}

TEST_F(OpenTokenTest, WrongPinIsPermissionDeniedNamingFileAndLabelNotPin) {
  ASSERT_TRUE(WriteFileAtomically(pin_file_, "not-the-pin-99", 0600).ok());
  auto token = OpenToken(kSoftHsmModule, "prod", pin_file_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kPermissionDenied);
  const std::string message(token.status().message());
  EXPECT_THAT(message, HasSubstr(pin_file_));
  EXPECT_THAT(message, HasSubstr("\"prod\""));
  EXPECT_THAT(message, HasSubstr(kSoftHsmModule));
  EXPECT_THAT(message, HasSubstr("CKR_PIN_INCORRECT"));
  EXPECT_THAT(message, Not(HasSubstr("not-the-pin-99")));
  EXPECT_THAT(message, Not(HasSubstr(kUserPin)));
}

TEST_F(OpenTokenTest, MissingPinFileIsNotFoundNamingIt) {
  auto token = OpenToken(kSoftHsmModule, "prod", pin_file_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(token.status().message(), HasSubstr(pin_file_));
}

TEST_F(OpenTokenTest, PinFileOthersMayReadIsRefused) {
  ASSERT_TRUE(WriteFileAtomically(pin_file_, kUserPin, 0644).ok());
  auto token = OpenToken(kSoftHsmModule, "prod", pin_file_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(token.status().message(), HasSubstr(pin_file_));
  EXPECT_THAT(std::string(token.status().message()), Not(HasSubstr(kUserPin)));
}

TEST_F(OpenTokenTest, UnknownLabelIsNotFoundNamingIt) {
  ASSERT_TRUE(WriteFileAtomically(pin_file_, kUserPin, 0600).ok());
  auto token = OpenToken(kSoftHsmModule, "staging", pin_file_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(token.status().message(), HasSubstr("\"staging\""));
}

TEST_F(OpenTokenTest, MissingModuleIsNotFoundNamingIt) {
  ASSERT_TRUE(WriteFileAtomically(pin_file_, kUserPin, 0600).ok());
  auto token = OpenToken("/opt/nowhere/libhsm.so", "prod", pin_file_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(token.status().message(), HasSubstr("/opt/nowhere/libhsm.so"));
}

}  // namespace
}  // namespace sejf::hsm
