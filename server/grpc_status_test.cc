#include "server/grpc_status.h"

#include <string>

#include "gtest/gtest.h"

namespace sejf::server {
namespace {

TEST(GrpcStatusTest, EveryCodeKeepsItsNumberAndMessage) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "what happened");
    grpc::Status mapped = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(mapped.error_code()), code);
    EXPECT_EQ(mapped.error_message(), "what happened");
    EXPECT_EQ(GrpcCodeName(mapped.error_code()),
              absl::StatusCodeToString(status.code()));
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(GrpcStatusTest, LongMessageIsClipped) {
  grpc::Status mapped =
      ToGrpcStatus(absl::InvalidArgumentError(std::string(100000, 'x')));
  EXPECT_EQ(mapped.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(mapped.error_message().size(), 2 * kMaxStatusMessageSize);
  EXPECT_GE(mapped.error_message().size(), kMaxStatusMessageSize);
}

}  // namespace
}  // namespace sejf::server
