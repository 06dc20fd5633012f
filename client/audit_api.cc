#include "client/audit_api.h"

#include "client/audit_conversions.h"
#include "client/unary_call.h"
#include "sejf/v1/audit_log.grpc.pb.h"

namespace sejf::client {
namespace {

using v1::AuditLog;

const auto kFromProto = [](const auto& response) {
  return FromProto(response);
};

}  // namespace

struct AuditApi::Stub {
  std::unique_ptr<AuditLog::Stub> rpc;
};

AuditApi::AuditApi(std::shared_ptr<grpc::Channel> channel,
                   absl::Duration timeout)
    : stub_(new Stub{AuditLog::NewStub(std::move(channel))}),
      timeout_(timeout) {}

AuditApi::~AuditApi() = default;

absl::StatusOr<Page<AuditEvent>> AuditApi::ListPage(const AuditFilter& filter,
                                                    const PageRequest& page) {
  return Converted(UnaryCall(*stub_->rpc, &AuditLog::Stub::ListEvents,
                             ToProto(filter, page), timeout_),
                   kFromProto);
}

absl::StatusOr<std::vector<AuditEvent>> AuditApi::ListAll(
    const AuditFilter& filter) {
  return FollowPages<AuditEvent>(
      [&](const PageRequest& page) { return ListPage(filter, page); });
}

absl::StatusOr<ChainVerification> AuditApi::Verify(
    const std::optional<ChainHead>& expect) {
  // Verification walks the whole chain: allow it more than one call's time.
  return Converted(UnaryCall(*stub_->rpc, &AuditLog::Stub::VerifyChain,
                             ToProto(expect), timeout_ * 30),
                   kFromProto);
}

}  // namespace sejf::client
