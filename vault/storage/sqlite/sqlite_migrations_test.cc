#include "vault/storage/sqlite/sqlite_migrations.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vault/storage/sqlite/sqlite_connection.h"

namespace sejf::vault {
namespace {

using ::testing::HasSubstr;

class SqliteMigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ + "/test.db";
    { std::ofstream create(path_); }
    auto connection = SqliteConnection::Open(path_, absl::Seconds(5));
    ASSERT_TRUE(connection.ok()) << connection.status();
    connection_ = *std::move(connection);
  }
  void TearDown() override { connection_.reset(); }

  std::int64_t Version() { return SqliteSchemaVersion(*connection_).value(); }
  bool HasTable(const std::string& name) {
    return *connection_->QueryInt64(
               "SELECT count(*) FROM sqlite_schema WHERE name = '" + name +
               "'") == 1;
  }

  ::sejf::testing::TempDir tmp_;
  std::string dir_ = tmp_.path();
  std::string path_;
  std::unique_ptr<SqliteConnection> connection_;
  FakeClock clock_{absl::FromUnixSeconds(1767225600)};
};

TEST_F(SqliteMigrationsTest, FreshDatabaseGetsEveryStepRecorded) {
  std::vector<absl::string_view> steps = {
      "CREATE TABLE a (x INTEGER)",
      "CREATE TABLE b (y INTEGER); CREATE INDEX b_y ON b (y)",
  };
  ASSERT_EQ(Version(), 0);
  ASSERT_TRUE(ApplySqliteMigrations(*connection_, steps, clock_).ok());
  EXPECT_EQ(Version(), 2);
  EXPECT_TRUE(HasTable("a"));
  EXPECT_TRUE(HasTable("b_y"));
  EXPECT_EQ(*connection_->QueryText(
                "SELECT group_concat(version || '@' || applied_at, ' ') "
                "FROM schema_migrations"),
            "1@2026-01-01T00:00:00.000000Z 2@2026-01-01T00:00:00.000000Z");
}

// What adding a migration looks like: the list grows by one entry and only
// that entry runs on an existing database (re-running step 1 would fail:
// its table exists).
TEST_F(SqliteMigrationsTest, AppendedStepIsTheOnlyOneApplied) {
  std::vector<absl::string_view> steps = {"CREATE TABLE a (x INTEGER)"};
  ASSERT_TRUE(ApplySqliteMigrations(*connection_, steps, clock_).ok());
  ASSERT_TRUE(connection_->Execute("INSERT INTO a VALUES (42)").ok());
  clock_.Advance(absl::Hours(24));
  steps.push_back("ALTER TABLE a ADD COLUMN y TEXT NOT NULL DEFAULT 'new'");
  absl::Status status = ApplySqliteMigrations(*connection_, steps, clock_);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(Version(), 2);
  EXPECT_EQ(*connection_->QueryText("SELECT x || y FROM a"), "42new");
  EXPECT_EQ(*connection_->QueryText(
                "SELECT applied_at FROM schema_migrations WHERE version = 2"),
            "2026-01-02T00:00:00.000000Z");
  // Applying the same list again changes nothing.
  ASSERT_TRUE(ApplySqliteMigrations(*connection_, steps, clock_).ok());
  EXPECT_EQ(*connection_->QueryInt64("SELECT count(*) FROM schema_migrations"),
            2);
}

TEST_F(SqliteMigrationsTest, FailingStepLeavesNoTraceAndNamesItsVersion) {
  std::vector<absl::string_view> steps = {
      "CREATE TABLE a (x INTEGER)",
      "CREATE TABLE b (y INTEGER); INSERT INTO no_such_table VALUES (1)",
  };
  absl::Status status = ApplySqliteMigrations(*connection_, steps, clock_);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("schema version 2"));
  EXPECT_THAT(status.message(), HasSubstr("no_such_table"));
  EXPECT_FALSE(connection_->InTransaction());
  EXPECT_EQ(Version(), 0);
  EXPECT_FALSE(HasTable("a"));
  EXPECT_FALSE(HasTable("b"));
}

TEST_F(SqliteMigrationsTest, NewerDatabaseIsRefusedAndLeftAlone) {
  std::vector<absl::string_view> steps = {"CREATE TABLE a (x INTEGER)",
                                          "CREATE TABLE b (x INTEGER)"};
  ASSERT_TRUE(ApplySqliteMigrations(*connection_, steps, clock_).ok());
  steps.pop_back();
  absl::Status status = ApplySqliteMigrations(*connection_, steps, clock_);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("schema version 2"));
  EXPECT_THAT(status.message(), HasSubstr("schema version 1"));
  EXPECT_THAT(status.message(), HasSubstr(path_));
  EXPECT_EQ(Version(), 2);
  EXPECT_TRUE(HasTable("b"));
}

}  // namespace
}  // namespace sejf::vault
