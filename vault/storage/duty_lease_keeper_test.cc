// DutyLeaseKeeper with a fake clock, the heartbeats driven by the test (no
// thread, no waiting on wall time): two "replicas" on one storage, a duty
// whose rounds come every 6 hours.
#include "vault/storage/duty_lease_keeper.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "vault/storage/memory_storage.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::vault {
namespace {

constexpr absl::Duration kTtl = absl::Minutes(3);
constexpr absl::Duration kHeartbeat = absl::Minutes(1);
constexpr char kDuty[] = "token-status-watch";

DutyLeaseKeeperOptions Options() {
  return {.ttl = kTtl,
          .heartbeat = kHeartbeat,
          .on_error = [](absl::string_view duty, const absl::Status& error) {
            ADD_FAILURE() << duty << ": " << error;
          }};
}

TEST(DutyLeaseKeeperTest, ALivingHolderKeepsItsDutyBetweenRoundsHoursApart) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  DutyLeaseKeeper a(&storage, &clock, "a", Options());
  DutyLeaseKeeper b(&storage, &clock, "b", Options());
  std::function<bool()> a_holds = a.Duty(kDuty);
  std::function<bool()> b_holds = b.Duty(kDuty);
  // A whole 6-hour period of heartbeats: a's rounds at its start and end,
  // b's in between, are never both held.
  ASSERT_TRUE(a_holds());
  for (absl::Duration t; t < absl::Hours(6); t += kHeartbeat) {
    clock.Advance(kHeartbeat);
    a.Heartbeat();
    b.Heartbeat();
    if (t == absl::Hours(3)) {
      EXPECT_FALSE(b_holds());
    }
  }
  EXPECT_TRUE(a_holds());
  EXPECT_FALSE(b_holds());
}

TEST(DutyLeaseKeeperTest, ADeadHoldersDutyIsFreeWithinMinutesNotHours) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  DutyLeaseKeeper a(&storage, &clock, "a", Options());
  DutyLeaseKeeper b(&storage, &clock, "b", Options());
  std::function<bool()> a_holds = a.Duty(kDuty);
  std::function<bool()> b_holds = b.Duty(kDuty);
  ASSERT_TRUE(a_holds());  // a's round
  a.Heartbeat();
  // a is killed: no more heartbeats, no release. b's heartbeats go on, and
  // b asks before a round at each of them (its rounds could come at any
  // time: this is the earliest).
  absl::Duration waited;
  b.Heartbeat();
  while (!b_holds()) {
    ASSERT_LE(waited, kTtl) << "a's lease has not run out";
    clock.Advance(kHeartbeat);
    waited += kHeartbeat;
    b.Heartbeat();
  }
  EXPECT_GT(waited, absl::ZeroDuration());
  EXPECT_LE(waited, kTtl + kHeartbeat);
  // Once b holds it, its heartbeats keep it through hours without rounds.
  for (absl::Duration t; t < absl::Hours(6); t += kHeartbeat) {
    clock.Advance(kHeartbeat);
    b.Heartbeat();
  }
  EXPECT_TRUE(b_holds());
}

TEST(DutyLeaseKeeperTest, AHeartbeatTakesNoDutyOnlyARoundDoes) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  DutyLeaseKeeper a(&storage, &clock, "a", Options());
  DutyLeaseKeeper b(&storage, &clock, "b", Options());
  std::function<bool()> a_holds = a.Duty(kDuty);
  std::function<bool()> b_holds = b.Duty(kDuty);
  // b's heartbeat finds the duty free and leaves it so: the replica whose
  // round comes first runs it.
  b.Heartbeat();
  EXPECT_TRUE(a_holds());
  EXPECT_FALSE(b_holds());
}

TEST(DutyLeaseKeeperTest, StopHandsEveryDutyOverAtOnce) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  DutyLeaseKeeper a(&storage, &clock, "a", Options());
  DutyLeaseKeeper b(&storage, &clock, "b", Options());
  std::function<bool()> a_one = a.Duty("one");
  std::function<bool()> a_two = a.Duty("two");
  std::function<bool()> b_one = b.Duty("one");
  std::function<bool()> b_two = b.Duty("two");
  ASSERT_TRUE(a_one() && a_two());
  ASSERT_FALSE(b_one() || b_two());
  a.Stop();
  EXPECT_TRUE(b_one());
  EXPECT_TRUE(b_two());
}

TEST(DutyLeaseKeeperTest, AStorageErrorIsReportedAndTheDutyNotHeld) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  testing::TempDir dir;
  auto storage = SqliteStorage::Open(dir.Path("sejf.db"), clock);
  ASSERT_TRUE(storage.ok()) << storage.status();
  std::vector<std::string> failed;
  DutyLeaseKeeper a(
      storage->get(), &clock, "a",
      {.ttl = kTtl,
       .heartbeat = kHeartbeat,
       .on_error = [&](absl::string_view duty, const absl::Status&) {
         failed.emplace_back(duty);
       }});
  // A duty name the storage refuses stands for any storage failure.
  std::function<bool()> holds = a.Duty("bad\tname");
  EXPECT_FALSE(holds());
  EXPECT_EQ(failed, std::vector<std::string>{"bad\tname"});
}

TEST(DutyLeaseKeeperTest, TheHeartbeatThreadStopsAndHandsTheDutyOver) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  DutyLeaseKeeper a(&storage, &clock, "a", Options());
  DutyLeaseKeeper b(&storage, &clock, "b", Options());
  std::function<bool()> a_holds = a.Duty(kDuty);
  std::function<bool()> b_holds = b.Duty(kDuty);
  a.Start();  // its first heartbeat at once
  ASSERT_TRUE(a_holds());
  EXPECT_FALSE(b_holds());
  a.Stop();  // joins the thread, then releases
  EXPECT_TRUE(b_holds());
}

}  // namespace
}  // namespace sejf::vault
