// [storage] lock_timeout_ms reaches the store: a write waits that long for
// the store's write lock held by another process (here: this test, through
// SQLite's own API, as another replica would) and then goes through.
#include <sqlite3.h>

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;

class StorageLockTimeoutE2eTest : public SejfdTest {
 protected:
  // Starts sejfd with `lock_timeout_ms`, then takes the database's write
  // lock on a connection of the test's own (COMMIT and close it to let go).
  static sqlite3* StartAndHoldTheWriteLock(int lock_timeout_ms) {
    SejfdConfig config;
    config.config =
        absl::StrCat("[storage]\nlock_timeout_ms = ", lock_timeout_ms, "\n");
    StartSejfd(config);
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((data_dir() + "/sejf.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    EXPECT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    return db;
  }
};

// Longer than the default lock timeout (5 s): with the setting ignored the
// write would fail with UNAVAILABLE before the lock is let go.
constexpr absl::Duration kHeld = absl::Seconds(7);

TEST_F(StorageLockTimeoutE2eTest, AWriteWaitsTheConfiguredTimeForTheLock) {
  sqlite3* db = StartAndHoldTheWriteLock(120000);
  std::thread release([db] {
    absl::SleepFor(kHeld);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  });
  const CommandResult generated =
      Sejf({"--timeout", "120", "key", "generate", "--name", "patient",
            "--usage", "authentication"});
  release.join();
  sqlite3_close(db);
  EXPECT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_THAT(Sejf({"key", "list"}).out, HasSubstr("patient"));
}

TEST_F(StorageLockTimeoutE2eTest, ALockHeldPastTheTimeoutIsUnavailable) {
  sqlite3* db = StartAndHoldTheWriteLock(200);
  const CommandResult refused = Sejf(
      {"key", "generate", "--name", "impatient", "--usage", "authentication"});
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("UNAVAILABLE"));
  // Nothing half-done: the same call goes through once the lock is free.
  const CommandResult generated = Sejf(
      {"key", "generate", "--name", "impatient", "--usage", "authentication"});
  EXPECT_EQ(generated.exit_code, 0) << generated.err;
}

}  // namespace
}  // namespace sejf::testing
