#include "server/grpc_status.h"

#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
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

TEST(GrpcStatusTest, PlainStatusHasNoDetails) {
  grpc::Status mapped = ToGrpcStatus(absl::ResourceExhaustedError("busy"));
  EXPECT_TRUE(mapped.error_details().empty());
}

TEST(GrpcStatusTest, RetryDelayTravelsAsRetryInfoInTheDetails) {
  absl::Status limited = WithRetryDelay(
      absl::ResourceExhaustedError("slow down"), absl::Milliseconds(1500));
  EXPECT_EQ(RetryDelayOf(limited), absl::Milliseconds(1500));
  grpc::Status mapped = ToGrpcStatus(limited);
  EXPECT_EQ(mapped.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(mapped.error_message(), "slow down");

  // Decoded as any gRPC client does: google.rpc.Status, then its Any.
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(mapped.error_details()));
  EXPECT_EQ(details.code(), 8);
  EXPECT_EQ(details.message(), "slow down");
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::RetryInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.retry_delay().seconds(), 1);
  EXPECT_EQ(info.retry_delay().nanos(), 500'000'000);
}

TEST(GrpcStatusTest, OtherPayloadsStayInside) {
  absl::Status status = absl::UnavailableError("down");
  status.SetPayload("type.example/internal", absl::Cord("secret-ish"));
  EXPECT_TRUE(ToGrpcStatus(status).error_details().empty());
  EXPECT_EQ(RetryDelayOf(status), std::nullopt);
}

}  // namespace
}  // namespace sejf::server
