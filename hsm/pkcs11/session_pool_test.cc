#include "hsm/pkcs11/session_pool.h"

#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/softhsm_testing.h"

namespace sejf::hsm::pkcs11 {
namespace {

using ::testing::HasSubstr;

constexpr char kUserPin[] = "user-pin-4711";

class SessionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto token = testing::CreateTestToken(dir_.path(), "pool", kUserPin);
    ASSERT_TRUE(token.ok()) << token.status();
    module_ = token->module;
    slot_ = token->slot;
  }

  std::unique_ptr<SessionPool> MakePool(SessionPoolOptions options = {},
                                        const std::string& pin = kUserPin) {
    auto pool = SessionPool::Create(module_, slot_, "pool", SecretFromView(pin),
                                    options);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? *std::move(pool) : nullptr;
  }

  SessionPool::Lease AcquireOrDie(SessionPool& pool) {
    auto lease = pool.Acquire();
    EXPECT_TRUE(lease.ok()) << lease.status();
    return *std::move(lease);
  }

  CK_STATE State(CK_SESSION_HANDLE handle) {
    CK_SESSION_INFO info = {};
    EXPECT_EQ(module_->functions().C_GetSessionInfo(handle, &info), CKR_OK);
    return info.state;
  }

  bool IsOpen(CK_SESSION_HANDLE handle) {
    CK_SESSION_INFO info = {};
    return module_->functions().C_GetSessionInfo(handle, &info) == CKR_OK;
  }

  testing::TempDir dir_;
  std::shared_ptr<Module> module_;
  CK_SLOT_ID slot_ = 0;
};

TEST_F(SessionPoolTest, LeasesLoggedInReadWriteSessions) {
  auto pool = MakePool();
  EXPECT_EQ(pool->open_sessions(), 0);  // lazily opened
  SessionPool::Lease lease = AcquireOrDie(*pool);
  EXPECT_EQ(State(lease.handle()), CKS_RW_USER_FUNCTIONS);
  EXPECT_EQ(pool->open_sessions(), 1);
}

TEST_F(SessionPoolTest, ReturnedSessionIsReused) {
  auto pool = MakePool();
  CK_SESSION_HANDLE first;
  {
    SessionPool::Lease lease = AcquireOrDie(*pool);
    first = lease.handle();
  }
  SessionPool::Lease again = AcquireOrDie(*pool);
  EXPECT_EQ(again.handle(), first);
  EXPECT_EQ(pool->open_sessions(), 1);
}

TEST_F(SessionPoolTest, MovedLeaseReturnsOnce) {
  auto pool = MakePool();
  {
    SessionPool::Lease a = AcquireOrDie(*pool);
    SessionPool::Lease b = std::move(a);
    SessionPool::Lease c = AcquireOrDie(*pool);
    c = std::move(b);  // c's own session goes back to the pool
  }
  EXPECT_EQ(pool->open_sessions(), 2);
  SessionPool::Lease x = AcquireOrDie(*pool);
  SessionPool::Lease y = AcquireOrDie(*pool);
  EXPECT_NE(x.handle(), y.handle());
  EXPECT_EQ(pool->open_sessions(), 2);
}

TEST_F(SessionPoolTest, CallerBeyondTheLimitWaitsForAReturnedSession) {
  SessionPoolOptions options;
  options.max_sessions = 1;
  auto pool = MakePool(options);
  auto held = std::make_unique<SessionPool::Lease>(AcquireOrDie(*pool));
  const CK_SESSION_HANDLE handle = held->handle();
  absl::Notification acquired;
  CK_SESSION_HANDLE waited_for = CK_INVALID_HANDLE;
  std::thread waiter([&] {
    SessionPool::Lease lease = AcquireOrDie(*pool);
    waited_for = lease.handle();
    acquired.Notify();
  });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(acquired.HasBeenNotified());
  held.reset();  // return it
  waiter.join();
  EXPECT_EQ(waited_for, handle);
  EXPECT_EQ(pool->peak_open_sessions(), 1);
}

TEST_F(SessionPoolTest, WaitEndsWithDeadlineExceeded) {
  SessionPoolOptions options;
  options.max_sessions = 1;
  options.wait_timeout = absl::Milliseconds(20);
  auto pool = MakePool(options);
  SessionPool::Lease held = AcquireOrDie(*pool);
  auto second = pool->Acquire();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(second.status().message(), HasSubstr("\"pool\""));
}

TEST_F(SessionPoolTest, BrokenSessionIsClosedNotReused) {
  auto pool = MakePool();
  CK_SESSION_HANDLE broken;
  {
    SessionPool::Lease lease = AcquireOrDie(*pool);
    broken = lease.handle();
    lease.MarkBroken();
  }
  EXPECT_FALSE(IsOpen(broken));
  EXPECT_EQ(pool->open_sessions(), 0);
  SessionPool::Lease next = AcquireOrDie(*pool);
  EXPECT_NE(next.handle(), broken);
}

TEST_F(SessionPoolTest, ResetStartsANewEpochOnce) {
  auto pool = MakePool();
  SessionPool::Lease leased = AcquireOrDie(*pool);
  CK_SESSION_HANDLE idle;
  {
    SessionPool::Lease lease = AcquireOrDie(*pool);
    idle = lease.handle();
  }
  const std::uint64_t epoch = leased.epoch();
  pool->Reset(epoch);
  EXPECT_EQ(pool->epoch(), epoch + 1);
  EXPECT_FALSE(IsOpen(idle));  // idle sessions are closed at once
  pool->Reset(epoch);          // someone already healed: no-op
  EXPECT_EQ(pool->epoch(), epoch + 1);
  // A lease of the old epoch is closed when it comes back.
  const CK_SESSION_HANDLE old = leased.handle();
  EXPECT_TRUE(IsOpen(old));
  leased = AcquireOrDie(*pool);
  EXPECT_FALSE(IsOpen(old));
  EXPECT_EQ(leased.epoch(), epoch + 1);
  EXPECT_EQ(pool->open_sessions(), 1);
}

TEST_F(SessionPoolTest, EnsureLoggedInLogsInAgainAfterALogout) {
  auto pool = MakePool();
  SessionPool::Lease lease = AcquireOrDie(*pool);
  ASSERT_EQ(module_->functions().C_Logout(lease.handle()), CKR_OK);
  EXPECT_EQ(State(lease.handle()), CKS_RW_PUBLIC_SESSION);
  EXPECT_TRUE(lease.EnsureLoggedIn().ok());
  EXPECT_EQ(State(lease.handle()), CKS_RW_USER_FUNCTIONS);
}

TEST_F(SessionPoolTest, WrongPinIsPermissionDeniedAndFreesTheSlot) {
  SessionPoolOptions options;
  options.max_sessions = 1;
  auto pool = MakePool(options, "not-the-pin");
  for (int i = 0; i < 2; ++i) {
    auto lease = pool->Acquire();
    EXPECT_EQ(lease.status().code(), absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(pool->open_sessions(), 0);
}

TEST_F(SessionPoolTest, BadOptionsAreInvalidArgument) {
  SessionPoolOptions options;
  options.max_sessions = 0;
  EXPECT_EQ(SessionPool::Create(module_, slot_, "pool", SecretBytes(), options)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  options = {};
  options.wait_timeout = -absl::Seconds(1);
  EXPECT_EQ(SessionPool::Create(module_, slot_, "pool", SecretBytes(), options)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SessionPool::Create(nullptr, slot_, "pool", SecretBytes())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sejf::hsm::pkcs11
