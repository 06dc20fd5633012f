// The TokenVault API for clients: one method per RPC, with the client's
// deadline; errors carry the server's code and message. Messages are the
// public API types of proto/sejf/v1/token_vault.proto.
//
// Import and Rotate take the request holding the secret; the caller should
// wipe its copy (the request's secret field) once the call returns — the
// method does not keep it.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_TOKENS_API_H_
#define SEJF_CLIENT_TOKENS_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sejf/v1/token_vault.grpc.pb.h"

namespace sejf::client {

class TokensApi {
 public:
  TokensApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);

  absl::StatusOr<v1::Token> Import(const v1::ImportTokenRequest& request);
  absl::StatusOr<v1::Token> Rotate(const v1::RotateTokenRequest& request);
  absl::StatusOr<v1::Token> Get(const std::string& name);
  absl::StatusOr<v1::ListTokensResponse> ListPage(
      const v1::ListTokensRequest& request);
  // Every token matching `request`'s filters, following the pages.
  absl::StatusOr<std::vector<v1::Token>> ListAll(v1::ListTokensRequest request);
  absl::StatusOr<v1::Token> Disable(const std::string& name);
  absl::StatusOr<v1::Token> Enable(const std::string& name);
  absl::StatusOr<v1::Token> Destroy(const std::string& name);

  // Returns the new data-encryption key's id.
  absl::StatusOr<int64_t> RotateDataKey();
  // Returns the new key-encryption key's PKCS#11 URI.
  absl::StatusOr<std::string> RotateKeyEncryptionKey();
  absl::StatusOr<v1::GetVaultStatusResponse> Status();

 private:
  std::unique_ptr<v1::TokenVault::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_TOKENS_API_H_
