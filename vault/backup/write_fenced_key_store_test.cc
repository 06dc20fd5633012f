// hsm::WriteFencedKeyStore: a freeze holds writes back, not reads, and
// gives up on a write that does not return. (Here rather than in hsm/ so
// that the backup's tests run as one binary.)
#include "hsm/write_fenced_key_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "hsm/testing/fake_key_store.h"

namespace sejf::hsm {
namespace {

// A store whose first WriteDataObject waits until `release` is notified.
class StuckWrites : public KeyStoreWrapper {
 public:
  explicit StuckWrites(KeyStore* target) : KeyStoreWrapper(target) {}
  absl::Status WriteDataObject(absl::string_view label,
                               absl::string_view value) override {
    if (first.exchange(false)) {
      entered.Notify();
      release.WaitForNotification();
    }
    return KeyStoreWrapper::WriteDataObject(label, value);
  }
  std::atomic<bool> first = true;
  absl::Notification entered;
  absl::Notification release;
};

TEST(WriteFencedKeyStoreTest, AFreezeHoldsWritesBackUntilItEnds) {
  testing::FakeKeyStore fake;
  WriteFencedKeyStore fenced(&fake);
  absl::Notification written;
  std::thread writer;
  {
    absl::StatusOr<WriteFencedKeyStore::Freeze> freeze =
        fenced.FreezeWrites(absl::Seconds(30));
    ASSERT_TRUE(freeze.ok()) << freeze.status();
    writer = std::thread([&] {
      ASSERT_TRUE(fenced.WriteDataObject("sejf-test", "v2").ok());
      written.Notify();
    });
    // Reads go on during the freeze.
    EXPECT_TRUE(fenced.ReadDataObject("sejf-test").ok());
    EXPECT_FALSE(
        written.WaitForNotificationWithTimeout(absl::Milliseconds(200)))
        << "a write ran while the HSM was frozen";
    EXPECT_EQ(*fake.ReadDataObject("sejf-test"), std::nullopt);
  }
  written.WaitForNotification();
  writer.join();
  EXPECT_EQ(*fake.ReadDataObject("sejf-test"), "v2");
}

TEST(WriteFencedKeyStoreTest, AFreezeWaitsForARunningWriteAndGivesUp) {
  testing::FakeKeyStore fake;
  StuckWrites stuck(&fake);
  WriteFencedKeyStore fenced(&stuck);
  std::thread writer(
      [&] { EXPECT_TRUE(fenced.WriteDataObject("sejf-test", "v").ok()); });
  stuck.entered.WaitForNotification();
  absl::StatusOr<WriteFencedKeyStore::Freeze> freeze =
      fenced.FreezeWrites(absl::Milliseconds(50));
  EXPECT_EQ(freeze.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(freeze.status().message().find("retry later"), std::string::npos)
      << freeze.status();
  stuck.release.Notify();
  writer.join();
  // Nothing stays held back after a freeze that gave up.
  EXPECT_TRUE(fenced.WriteDataObject("sejf-test", "v3").ok());
  EXPECT_TRUE(fenced.FreezeWrites(absl::Seconds(30)).ok());
}

}  // namespace
}  // namespace sejf::hsm
