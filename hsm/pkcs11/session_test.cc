#include "hsm/pkcs11/session.h"

#include <memory>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm::pkcs11 {
namespace {

using ::sejf::hsm::testing::kSoftHsmModule;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUserPin[] = "user-pin-4711";
constexpr char kSoPin[] = "so-pin-0815";

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    ASSERT_TRUE(testing::UseSoftHsmStore(dir_.path()).ok());
    ASSERT_TRUE(testing::InitTokenWithTool("sejf", kSoPin, kUserPin).ok());
    auto module = Module::Load(kSoftHsmModule);
    ASSERT_TRUE(module.ok()) << module.status();
    module_ = *std::move(module);
    auto slot = module_->FindTokenSlot("sejf");
    ASSERT_TRUE(slot.ok()) << slot.status();
    slot_ = *slot;
  }

  Session OpenOrDie(Session::Access access = Session::Access::kReadOnly) {
    auto session = Session::Open(module_, slot_, access);
    EXPECT_TRUE(session.ok()) << session.status();
    return *std::move(session);
  }

  // What the module says about `handle`: CKR_OK while it is open.
  CK_RV SessionState(CK_SESSION_HANDLE handle) {
    CK_SESSION_INFO info;
    return module_->functions().C_GetSessionInfo(handle, &info);
  }

  CK_STATE LoginState(const Session& session) {
    CK_SESSION_INFO info = {};
    EXPECT_EQ(module_->functions().C_GetSessionInfo(session.handle(), &info),
              CKR_OK);
    return info.state;
  }

  testing::TempDir dir_;
  std::shared_ptr<Module> module_;
  CK_SLOT_ID slot_ = 0;
};

TEST_F(SessionTest, UserLoginWithTheRightPinSucceedsAndRepeatingItToo) {
  Session session = OpenOrDie();
  ASSERT_TRUE(session.Login(CKU_USER, SecretFromView(kUserPin)).ok());
  EXPECT_EQ(LoginState(session), CKS_RO_USER_FUNCTIONS);
  // CKR_USER_ALREADY_LOGGED_IN is success.
  EXPECT_TRUE(session.Login(CKU_USER, SecretFromView(kUserPin)).ok());
  EXPECT_TRUE(session.Logout().ok());
  EXPECT_EQ(LoginState(session), CKS_RO_PUBLIC_SESSION);
}

TEST_F(SessionTest, WrongPinIsPermissionDeniedAndTheMessageHoldsNoPin) {
  Session session = OpenOrDie();
  absl::Status status = session.Login(CKU_USER, SecretFromView("wrong-pin-1"));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "C_Login: CKR_PIN_INCORRECT");
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("wrong-pin-1")));
  EXPECT_EQ(LoginState(session), CKS_RO_PUBLIC_SESSION);
}

TEST_F(SessionTest, SecurityOfficerLoginNeedsAReadWriteSession) {
  Session read_write = OpenOrDie(Session::Access::kReadWrite);
  EXPECT_TRUE(read_write.Login(CKU_SO, SecretFromView(kSoPin)).ok());
  EXPECT_EQ(LoginState(read_write), CKS_RW_SO_FUNCTIONS);
}

TEST_F(SessionTest, DestroyingTheSessionClosesIt) {
  CK_SESSION_HANDLE handle;
  {
    Session session = OpenOrDie();
    handle = session.handle();
    EXPECT_EQ(SessionState(handle), static_cast<CK_RV>(CKR_OK));
  }
  EXPECT_EQ(SessionState(handle),
            static_cast<CK_RV>(CKR_SESSION_HANDLE_INVALID));
}

TEST_F(SessionTest, MovingTransfersTheHandleAndAssigningClosesTheOldOne) {
  Session first = OpenOrDie();
  const CK_SESSION_HANDLE first_handle = first.handle();
  Session moved(std::move(first));
  EXPECT_FALSE(first.is_open());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved.handle(), first_handle);
  EXPECT_EQ(SessionState(first_handle), static_cast<CK_RV>(CKR_OK));

  Session second = OpenOrDie();
  const CK_SESSION_HANDLE second_handle = second.handle();
  second = std::move(moved);
  EXPECT_EQ(second.handle(), first_handle);
  EXPECT_EQ(SessionState(second_handle),
            static_cast<CK_RV>(CKR_SESSION_HANDLE_INVALID));
  EXPECT_EQ(SessionState(first_handle), static_cast<CK_RV>(CKR_OK));
}

TEST_F(SessionTest, CloseReportsAndLeavesTheSessionClosed) {
  Session session = OpenOrDie();
  const CK_SESSION_HANDLE handle = session.handle();
  EXPECT_TRUE(session.Close().ok());
  EXPECT_FALSE(session.is_open());
  EXPECT_EQ(SessionState(handle),
            static_cast<CK_RV>(CKR_SESSION_HANDLE_INVALID));
  EXPECT_EQ(session.Login(CKU_USER, SecretFromView(kUserPin)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SessionTest, AnOpenSessionKeepsTheModuleInitialised) {
  Session session = OpenOrDie();
  const CK_FUNCTION_LIST* functions = &module_->functions();
  module_.reset();  // the session holds the last reference now
  CK_SESSION_INFO info;
  EXPECT_EQ(functions->C_GetSessionInfo(session.handle(), &info),
            static_cast<CK_RV>(CKR_OK));
  EXPECT_TRUE(session.Login(CKU_USER, SecretFromView(kUserPin)).ok());
}

TEST_F(SessionTest, OpeningOnASlotThatIsGoneIsUnavailable) {
  auto session =
      Session::Open(module_, slot_ + 12345, Session::Access::kReadOnly);
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(session.status().message(), HasSubstr("C_OpenSession"));
}

}  // namespace
}  // namespace sejf::hsm::pkcs11
