// The KeyCustody API for clients: one method per RPC, in client types
// (client/key_types.h), with the client's deadline; errors carry the
// server's code and message.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_KEYS_API_H_
#define SEJF_CLIENT_KEYS_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/key_types.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace sejf::client {

class KeysApi {
 public:
  KeysApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~KeysApi();

  absl::StatusOr<Key> Generate(const NewKey& key);
  // `name` is the resource name, "keys/{key}", here and below.
  absl::StatusOr<Key> Get(const std::string& name);
  absl::StatusOr<Page<Key>> ListPage(const KeyFilter& filter,
                                     const PageRequest& page);
  // Every key matching `filter`, following the pages.
  absl::StatusOr<std::vector<Key>> ListAll(const KeyFilter& filter);
  absl::StatusOr<Csr> CreateCsr(const std::string& name,
                                const CsrSubject& subject);
  // A self-signed certificate for the KSeF TEST environment, attached.
  absl::StatusOr<Key> SelfSign(const std::string& name,
                               const std::string& subject, int validity_days);
  // `certificate_chain`: PEM (one or more certificates) or DER, leaf first.
  absl::StatusOr<Key> AttachCertificate(const std::string& name,
                                        const std::string& certificate_chain);
  absl::StatusOr<Key> Disable(const std::string& name);
  absl::StatusOr<Key> Enable(const std::string& name);
  absl::StatusOr<Key> Destroy(const std::string& name);
  // KSeF certificates (docs/lifecycle-certificates.md).
  absl::StatusOr<Key> Enroll(const EnrollKey& request);
  // `version` 0: every version.
  absl::StatusOr<RevokedKey> Revoke(const std::string& name,
                                    const std::string& session,
                                    RevocationReason reason, int version = 0);
  // Key versions and renewal. `session` may be empty (sejfd uses or opens
  // a session on the key); the new version.
  absl::StatusOr<Key> Renew(const std::string& name, const std::string& session,
                            std::optional<int> renew_before_days);
  absl::StatusOr<std::vector<KeyVersion>> Versions(const std::string& name);
  absl::StatusOr<Key> SetRenewal(const std::string& name,
                                 int renew_before_days);
  // The import key (issue 15) and a key import through it.
  absl::StatusOr<ImportKeyInfo> GetImportKey();
  absl::StatusOr<Key> Import(const KeyImportRequest& request);

 private:
  struct Stub;  // holds the generated stub
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_KEYS_API_H_
