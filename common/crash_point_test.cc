#include "common/crash_point.h"

#include <signal.h>
#include <stdlib.h>

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace sejf {
namespace {

class CrashPointTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv(kCrashPointVariable);
    crash_point_internal::armed.store(nullptr);
  }
};

TEST_F(CrashPointTest, EveryNameIsListedOnceAndDotted) {
  std::set<std::string> seen;
  for (absl::string_view name : AllCrashPoints()) {
    EXPECT_TRUE(seen.insert(std::string(name)).second) << name;
    EXPECT_NE(name.find('.'), absl::string_view::npos) << name;
  }
  EXPECT_EQ(seen.size(), 15u);
}

TEST_F(CrashPointTest, NothingIsArmedWithoutTheVariable) {
  unsetenv(kCrashPointVariable);
  bool ignored = true;
  absl::StatusOr<std::string> armed =
      ArmCrashPointFromEnvironment(true, &ignored);
  ASSERT_TRUE(armed.ok());
  EXPECT_EQ(*armed, "");
  EXPECT_FALSE(ignored);
  EXPECT_EQ(crash_point_internal::armed.load(), nullptr);
}

TEST_F(CrashPointTest, ProductionModeIgnoresTheVariable) {
  setenv(kCrashPointVariable, crash_points::kKeyGenerateAfterHsmCreate, 1);
  bool ignored = false;
  absl::StatusOr<std::string> armed =
      ArmCrashPointFromEnvironment(/*dev_mode=*/false, &ignored);
  ASSERT_TRUE(armed.ok());
  EXPECT_EQ(*armed, "");
  EXPECT_TRUE(ignored);
  EXPECT_EQ(crash_point_internal::armed.load(), nullptr);
  // Reaching the point does nothing.
  SEJF_CRASH_POINT(crash_points::kKeyGenerateAfterHsmCreate);
}

TEST_F(CrashPointTest, AnUnknownNameIsRefusedNamingTheKnownOnes) {
  setenv(kCrashPointVariable, "key_generate.after_hsm", 1);
  absl::StatusOr<std::string> armed =
      ArmCrashPointFromEnvironment(true, nullptr);
  EXPECT_EQ(armed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(armed.status().message().find("key_generate.after_hsm_create"),
            absl::string_view::npos);
  EXPECT_EQ(crash_point_internal::armed.load(), nullptr);
}

TEST_F(CrashPointTest, OnlyTheArmedPointKillsTheProcessWithSigkill) {
  setenv(kCrashPointVariable, crash_points::kDekRotationAfterCommit, 1);
  absl::StatusOr<std::string> armed =
      ArmCrashPointFromEnvironment(true, nullptr);
  ASSERT_TRUE(armed.ok());
  EXPECT_EQ(*armed, crash_points::kDekRotationAfterCommit);
  SEJF_CRASH_POINT(crash_points::kDekRotationBeforeCommit);  // survives
  EXPECT_EXIT(SEJF_CRASH_POINT(crash_points::kDekRotationAfterCommit),
              ::testing::KilledBySignal(SIGKILL),
              "crash point dek_rotation.after_commit reached");
}

}  // namespace
}  // namespace sejf
