// The AuditLog API for clients (proto/sejf/v1/audit_log.proto), in client
// types (client/audit_types.h), with the client's deadline; errors carry the
// server's code and message.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_AUDIT_API_H_
#define SEJF_CLIENT_AUDIT_API_H_

#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/audit_types.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace sejf::client {

class AuditApi {
 public:
  AuditApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~AuditApi();

  absl::StatusOr<Page<AuditEvent>> ListPage(const AuditFilter& filter,
                                            const PageRequest& page);
  // Every event matching `filter`, oldest first, following the pages.
  absl::StatusOr<std::vector<AuditEvent>> ListAll(const AuditFilter& filter);
  // VerifyChain: the whole chain, its checkpoints and anchor, and `expect`
  // when given (the log must still hold that event with that hash). A chain
  // that does not verify is a result with ok false, not an error.
  absl::StatusOr<ChainVerification> Verify(
      const std::optional<ChainHead>& expect = std::nullopt);

 private:
  struct Stub;  // holds the generated stub
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_AUDIT_API_H_
