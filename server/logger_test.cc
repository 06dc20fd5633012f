#include "server/logger.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace sejf::server {
namespace {

const absl::Time kNoon = absl::FromUnixSeconds(1764000000);

TEST(LoggerTest, TextLineHasTimeLevelEventAndFields) {
  Logger logger(/*json=*/false);
  EXPECT_EQ(logger.Format(kNoon, LogLevel::kInfo, "rpc",
                          {{"identity", "admin"}, {"code", "OK"}}),
            "2025-11-24T16:00:00.000Z INFO rpc identity=admin code=OK\n");
}

TEST(LoggerTest, TextValueWithNewlineCannotForgeASecondLine) {
  Logger logger(/*json=*/false);
  std::string line = logger.Format(
      kNoon, LogLevel::kWarning, "rpc",
      {{"identity", "evil\n2025-11-24T16:00:00.000Z INFO rpc identity=admin"}});
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_NE(line.find("identity=\"evil\\n"), std::string::npos) << line;
}

TEST(LoggerTest, JsonLineParsesBackToTheSameFields) {
  Logger logger(/*json=*/true);
  std::string line = logger.Format(kNoon, LogLevel::kError, "rpc",
                                   {{"error", "bad \"quote\"\t\x01"}});
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "ERROR");
  EXPECT_EQ(parsed["event"], "rpc");
  EXPECT_EQ(parsed["time"], "2025-11-24T16:00:00.000Z");
  EXPECT_EQ(parsed["error"], "bad \"quote\"\t\x01");
}

TEST(LoggerTest, HugeValueIsCutToTheFieldBound) {
  Logger logger(/*json=*/true);
  std::string huge(3 * 1024 * 1024, 'n');
  std::string line = logger.Format(kNoon, LogLevel::kWarning, "rpc",
                                   {{"resource", huge}, {"code", "OK"}});
  EXPECT_LT(line.size(), kMaxLogFieldSize + 200) << line.size();
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["resource"],
            std::string(kMaxLogFieldSize, 'n') + "…(3145728 bytes)");
  EXPECT_EQ(parsed["code"], "OK");
}

}  // namespace
}  // namespace sejf::server
