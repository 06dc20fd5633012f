// CallPool and BoundedKeyStore: calls run with a deadline on bounded
// workers; a hung call answers UNAVAILABLE, never holds its caller, and the
// worker comes back when the call returns. The hang is a Notification the
// test releases; no assertion depends on how long anything took.
#include "hsm/call_pool.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/bounded_key_store.h"
#include "hsm/signatures.h"
#include "hsm/testing/fake_key_store.h"

namespace sejf::hsm {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kShort = absl::Milliseconds(200);

std::unique_ptr<CallPool> MakePool(int workers) {
  absl::StatusOr<std::unique_ptr<CallPool>> pool =
      CallPool::Create({.workers = workers, .call_timeout = kShort});
  EXPECT_TRUE(pool.ok()) << pool.status();
  return *std::move(pool);
}

TEST(CallPoolTest, RefusesBadOptions) {
  EXPECT_EQ(CallPool::Create({.workers = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      CallPool::Create({.workers = 1, .call_timeout = absl::ZeroDuration()})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(CallPoolTest, RunsCallsAndReturnsTheirResults) {
  std::unique_ptr<CallPool> pool = MakePool(2);
  absl::StatusOr<int> value =
      pool->Run<int>("Answer", [] { return absl::StatusOr<int>(42); });
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, 42);
  EXPECT_EQ(pool->Run("Fail", [] { return absl::NotFoundError("gone"); }),
            absl::NotFoundError("gone"));
}

TEST(CallPoolTest, AHungCallAnswersUnavailableAndTheWorkerComesBack) {
  std::unique_ptr<CallPool> pool = MakePool(1);
  absl::Notification release;
  std::atomic<bool> returned = false;
  absl::Status hung = pool->Run("Sign", [&] {
    release.WaitForNotification();
    returned = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(hung.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(hung.message(), HasSubstr("HSM call Sign did not return"));
  EXPECT_EQ(pool->stuck_workers(), 1);
  EXPECT_EQ(pool->busy_workers(), 1);

  // The only worker is stuck: new calls fail at once and never run.
  std::atomic<bool> ran = false;
  absl::Status refused = pool->Run("WrapKey", [&] {
    ran = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.message(), HasSubstr("stuck"));
  EXPECT_EQ(pool->rejected_calls(), 1);

  release.Notify();
  // Once the hung call returns, the worker serves again (until then, calls
  // are refused at once).
  absl::Status healed;
  for (int i = 0; i < 100000; ++i) {
    healed = pool->Run("WrapKey", [&] {
      ran = true;
      return absl::OkStatus();
    });
    if (healed.ok()) break;
    std::this_thread::yield();
  }
  EXPECT_TRUE(healed.ok()) << healed;
  EXPECT_TRUE(ran);
  EXPECT_EQ(pool->stuck_workers(), 0);
  EXPECT_EQ(pool->busy_workers(), 0);
}

TEST(CallPoolTest, ACallThatCannotStartInTimeNeverRuns) {
  std::unique_ptr<CallPool> pool = MakePool(1);
  absl::Notification release;
  absl::Notification started;
  std::thread holder([&] {
    pool->Run("Hold",
              [&] {
                started.Notify();
                release.WaitForNotification();
                return absl::OkStatus();
              })
        .IgnoreError();
  });
  started.WaitForNotification();
  // The worker is busy but not yet stuck (its caller still waits), so this
  // call is queued, and given up unrun when its deadline passes.
  std::atomic<bool> ran = false;
  absl::Status queued = pool->Run("Queued", [&] {
    ran = true;
    return absl::OkStatus();
  });
  release.Notify();
  holder.join();
  if (queued.ok()) {
    // The holder returned before the deadline: then the call ran.
    EXPECT_TRUE(ran);
  } else {
    EXPECT_EQ(queued.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(queued.message(), HasSubstr("did not start"));
    pool.reset();  // drains the queue: the cancelled call is dropped
    EXPECT_FALSE(ran);
  }
}

// A store whose Sign hangs until released.
class HangingSign : public KeyStoreWrapper {
 public:
  using KeyStoreWrapper::KeyStoreWrapper;
  absl::StatusOr<std::string> Sign(const KeyRef& key, SignatureScheme scheme,
                                   absl::string_view data) override {
    if (hang_) release_.WaitForNotification();
    return KeyStoreWrapper::Sign(key, scheme, data);
  }
  std::atomic<bool> hang_ = false;
  absl::Notification release_;
};

TEST(BoundedKeyStoreTest, SignsThroughTheWorkersAndBoundsAHungSign) {
  testing::FakeKeyStore fake;
  HangingSign hanging(&fake);
  absl::StatusOr<std::unique_ptr<BoundedKeyStore>> store =
      BoundedKeyStore::Create(&hanging, {.workers = 2, .call_timeout = kShort});
  ASSERT_TRUE(store.ok()) << store.status();
  BoundedKeyStore& keys = **store;

  absl::StatusOr<KeyRef> key = keys.GenerateKeyPair("k", KeyAlgorithm::kEcP256);
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<std::string> spki = keys.PublicKey(*key);
  ASSERT_TRUE(spki.ok()) << spki.status();
  absl::StatusOr<std::string> sig =
      keys.Sign(*key, SignatureScheme::kEcdsaSha256, "data");
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_TRUE(
      VerifySignature(*spki, SignatureScheme::kEcdsaSha256, "data", *sig).ok());

  // Wrapped keys round-trip (secrets cross to the worker and back).
  SecretBytes dek(kDataKeySize, 7);
  absl::StatusOr<std::string> wrapped = keys.WrapKey(dek);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  absl::StatusOr<SecretBytes> unwrapped = keys.UnwrapKey(*wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status();
  EXPECT_TRUE(SecretEquals(*unwrapped, dek));

  hanging.hang_ = true;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<std::string> s =
        keys.Sign(*key, SignatureScheme::kEcdsaSha256, "data");
    EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable) << i;
  }
  EXPECT_EQ(keys.pool().stuck_workers(), 2);
  EXPECT_EQ(keys.pool().rejected_calls(), 2);
  // Calls that do not touch the device still answer.
  EXPECT_EQ(keys.DefaultKekLabel(), fake.DefaultKekLabel());

  hanging.hang_ = false;
  hanging.release_.Notify();
  absl::StatusOr<std::string> again;
  for (int i = 0; i < 100000; ++i) {  // until a worker is back
    again = keys.Sign(*key, SignatureScheme::kEcdsaSha256, "again");
    if (again.ok()) break;
    std::this_thread::yield();
  }
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(
      VerifySignature(*spki, SignatureScheme::kEcdsaSha256, "again", *again)
          .ok());
}

}  // namespace
}  // namespace sejf::hsm
