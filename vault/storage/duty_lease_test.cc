// DutyLease over the in-memory storage and SQLite (two "processes" on one
// file), with a fake clock: one holder at a time, renewal, takeover after
// expiry, release.
#include "vault/storage/duty_lease.h"

#include <memory>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "vault/storage/memory_storage.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::vault {
namespace {

constexpr absl::Duration kTtl = absl::Seconds(60);

bool Holds(DutyLease& lease) {
  absl::StatusOr<bool> held = lease.TryHold();
  EXPECT_TRUE(held.ok()) << held.status();
  return held.ok() && *held;
}

TEST(DutyLeaseTest, OneHolderAtATimeUntilItsLeaseExpires) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  DutyLease a(&storage, &clock, "certificate-lifecycle", "a", kTtl);
  DutyLease b(&storage, &clock, "certificate-lifecycle", "b", kTtl);
  EXPECT_TRUE(Holds(a));
  EXPECT_FALSE(Holds(b));
  // a renews before expiry and keeps it.
  clock.Advance(kTtl / 2);
  EXPECT_TRUE(Holds(a));
  clock.Advance(kTtl / 2 + absl::Seconds(1));
  EXPECT_FALSE(Holds(b));
  // a stops renewing (killed): b takes over once a's lease has run out.
  clock.Advance(kTtl);
  EXPECT_TRUE(Holds(b));
  EXPECT_FALSE(Holds(a));
}

TEST(DutyLeaseTest, ReleaseHandsTheDutyOverAtOnce) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  DutyLease a(&storage, &clock, "key-expiry-watch", "a", kTtl);
  DutyLease b(&storage, &clock, "key-expiry-watch", "b", kTtl);
  ASSERT_TRUE(Holds(a));
  // Releasing what another holds changes nothing.
  ASSERT_TRUE(b.Release().ok());
  EXPECT_FALSE(Holds(b));
  ASSERT_TRUE(a.Release().ok());
  EXPECT_TRUE(Holds(b));
}

TEST(DutyLeaseTest, RenewExtendsOnlyThisHoldersLeaseAndTakesNone) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  DutyLease a(&storage, &clock, "token-status-watch", "a", kTtl);
  DutyLease b(&storage, &clock, "token-status-watch", "b", kTtl);
  // Free: nothing renewed, nothing taken.
  EXPECT_FALSE(*a.Renew());
  ASSERT_TRUE(Holds(a));
  // a's renewals keep it long past one ttl; b's take nothing.
  for (int i = 0; i < 5; ++i) {
    clock.Advance(kTtl / 2);
    EXPECT_TRUE(*a.Renew());
    EXPECT_FALSE(*b.Renew());
    EXPECT_FALSE(Holds(b));
  }
  // a stops renewing: b's round takes it once it has run out.
  clock.Advance(kTtl + absl::Seconds(1));
  EXPECT_TRUE(Holds(b));
  EXPECT_FALSE(*a.Renew());
}

TEST(DutyLeaseTest, DutiesAreIndependent) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  DutyLease a(&storage, &clock, "one", "a", kTtl);
  DutyLease b(&storage, &clock, "two", "b", kTtl);
  EXPECT_TRUE(Holds(a));
  EXPECT_TRUE(Holds(b));
}

TEST(DutyLeaseTest, ADamagedLeaseRecordDoesNotStopTheDuty) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  MemoryStorage storage(clock);
  {
    auto txn = storage.Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Insert(kDutyLeaseKind, "one", "not json").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  DutyLease a(&storage, &clock, "one", "a", kTtl);
  EXPECT_TRUE(Holds(a));
}

TEST(DutyLeaseTest, TwoProcessesOnOneSqliteFileNeverBothHoldIt) {
  testing::TempDir dir;
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  auto first = SqliteStorage::Open(dir.Path("sejf.db"), clock);
  auto second = SqliteStorage::Open(dir.Path("sejf.db"), clock);
  ASSERT_TRUE(first.ok() && second.ok());
  DutyLease a(first->get(), &clock, "token-status-watch",
              DutyLease::NewHolderId(), kTtl);
  DutyLease b(second->get(), &clock, "token-status-watch",
              DutyLease::NewHolderId(), kTtl);
  EXPECT_NE(a.holder(), b.holder());
  for (int round = 0; round < 5; ++round) {
    const bool a_holds = Holds(a);
    const bool b_holds = Holds(b);
    EXPECT_NE(a_holds, b_holds) << "round " << round;
    clock.Advance(kTtl / 3);
  }
}

}  // namespace
}  // namespace sejf::vault
