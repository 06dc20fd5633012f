// The TokenVault API for clients: one method per RPC, in client types
// (client/token_types.h), with the client's deadline; errors carry the
// server's code and message.
//
// Import and Rotate take the secret as SecretBytes; the copy made for the
// request is wiped once the call returns, and nothing keeps it.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_TOKENS_API_H_
#define SEJF_CLIENT_TOKENS_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/token_types.h"
#include "common/secret.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace sejf::client {

class TokensApi {
 public:
  TokensApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~TokensApi();

  absl::StatusOr<Token> Import(const TokenImport& token);
  // `name` is the resource name, "tokens/{token}", here and below.
  absl::StatusOr<Token> Rotate(const std::string& name,
                               const SecretBytes& secret);
  // As Rotate, with the new token encrypted to sejfd's import key.
  absl::StatusOr<Token> RotateEncrypted(const std::string& name,
                                        const std::string& encrypted_secret);
  absl::StatusOr<Token> Get(const std::string& name);
  absl::StatusOr<Page<Token>> ListPage(const TokenFilter& filter,
                                       const PageRequest& page);
  // Every token matching `filter`, following the pages.
  absl::StatusOr<std::vector<Token>> ListAll(const TokenFilter& filter);
  absl::StatusOr<Token> Disable(const std::string& name);
  absl::StatusOr<Token> Enable(const std::string& name);
  absl::StatusOr<Token> Destroy(const std::string& name);
  // Issue 14: mints a token in KSeF into the vault; revokes in KSeF through
  // `session` ("sessions/{session}") before destroying.
  absl::StatusOr<Token> CreateInKsef(const TokenCreate& request);
  absl::StatusOr<Token> DestroyRevokingInKsef(const std::string& name,
                                              const std::string& session);
  // Asks KSeF now for the token's status (stored as the status watch does).
  absl::StatusOr<Token> CheckInKsef(const std::string& name);

  absl::StatusOr<DataKeyRotation> RotateDataKey();
  absl::StatusOr<KekRotation> RotateKeyEncryptionKey();
  absl::StatusOr<VaultStatus> Status();
  // What the HSM holds against what the vault records; changes nothing.
  absl::StatusOr<VaultCheck> Check();

 private:
  struct Stub;  // holds the generated stub
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_TOKENS_API_H_
