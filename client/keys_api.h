// The KeyCustody API for clients: one method per RPC, with the client's
// deadline; errors carry the server's code and message. Messages are the
// public API types of proto/sejf/v1/key_custody.proto.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_KEYS_API_H_
#define SEJF_CLIENT_KEYS_API_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sejf/v1/key_custody.grpc.pb.h"

namespace sejf::client {

class KeysApi {
 public:
  KeysApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);

  absl::StatusOr<v1::Key> Generate(const v1::GenerateKeyRequest& request);
  absl::StatusOr<v1::Key> Get(const std::string& name);
  absl::StatusOr<v1::ListKeysResponse> ListPage(
      const v1::ListKeysRequest& request);
  // Every key matching `request`'s filters, following the pages.
  absl::StatusOr<std::vector<v1::Key>> ListAll(v1::ListKeysRequest request);
  absl::StatusOr<v1::CreateCsrResponse> CreateCsr(
      const v1::CreateCsrRequest& request);
  absl::StatusOr<v1::Key> SelfSign(
      const v1::SelfSignCertificateRequest& request);
  absl::StatusOr<v1::Key> AttachCertificate(
      const v1::AttachCertificateRequest& request);
  absl::StatusOr<v1::Key> Disable(const std::string& name);
  absl::StatusOr<v1::Key> Enable(const std::string& name);
  absl::StatusOr<v1::Key> Destroy(const std::string& name);

 private:
  std::unique_ptr<v1::KeyCustody::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_KEYS_API_H_
