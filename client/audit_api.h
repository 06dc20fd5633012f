// The AuditLog API for clients (proto/sejf/v1/audit_log.proto), with the
// client's deadline; errors carry the server's code and message.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_AUDIT_API_H_
#define SEJF_CLIENT_AUDIT_API_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sejf/v1/audit_log.grpc.pb.h"

namespace sejf::client {

class AuditApi {
 public:
  AuditApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);

  absl::StatusOr<v1::ListEventsResponse> ListPage(
      const v1::ListEventsRequest& request);
  // Every event matching `request`'s filters, oldest first, following the
  // pages (a page may be empty and still have a next token).
  absl::StatusOr<std::vector<v1::AuditEvent>> ListAll(
      v1::ListEventsRequest request);
  // VerifyChain; `request` may carry an expected head (expect_*).
  absl::StatusOr<v1::VerifyChainResponse> Verify(
      const v1::VerifyChainRequest& request = {});

 private:
  std::unique_ptr<v1::AuditLog::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_AUDIT_API_H_
