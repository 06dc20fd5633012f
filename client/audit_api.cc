#include "client/audit_api.h"

#include "client/unary_call.h"

namespace sejf::client {

using v1::AuditLog;

AuditApi::AuditApi(std::shared_ptr<grpc::Channel> channel,
                   absl::Duration timeout)
    : stub_(AuditLog::NewStub(std::move(channel))), timeout_(timeout) {}

absl::StatusOr<v1::ListEventsResponse> AuditApi::ListPage(
    const v1::ListEventsRequest& request) {
  return UnaryCall(*stub_, &AuditLog::Stub::ListEvents, request, timeout_);
}

absl::StatusOr<std::vector<v1::AuditEvent>> AuditApi::ListAll(
    v1::ListEventsRequest request) {
  return FollowPages<v1::AuditEvent>(
      std::move(request), [this](const auto& r) { return ListPage(r); },
      [](const v1::ListEventsResponse& page) -> const auto& {
        return page.events();
      });
}

absl::StatusOr<v1::VerifyChainResponse> AuditApi::Verify(
    const v1::VerifyChainRequest& request) {
  // Verification walks the whole chain: allow it more than one call's time.
  return UnaryCall(*stub_, &AuditLog::Stub::VerifyChain, request,
                   timeout_ * 30);
}

}  // namespace sejf::client
