// The KsefAuth API for clients: one method per RPC, in client types
// (client/ksef_types.h), with the client's deadline; errors carry the
// server's code and message.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_KSEF_API_H_
#define SEJF_CLIENT_KSEF_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/ksef_types.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace sejf::client {

class KsefApi {
 public:
  KsefApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~KsefApi();

  absl::StatusOr<SignedAuthTokenRequest> SignAuthTokenRequest(
      const AuthTokenRequest& request);
  absl::StatusOr<EncryptedToken> EncryptToken(const TokenEncryption& request);
  absl::StatusOr<QrCode> SignOfflineQrCode(const OfflineQrCodeSpec& spec);
  absl::StatusOr<QrCode> BuildInvoiceQrCode(const InvoiceQrCodeSpec& spec);
  // The certificates imported, as stored.
  absl::StatusOr<std::vector<MinistryCertificate>> ImportMinistryCertificates(
      const MinistryCertificateImport& request);
  // `environment`: empty for every environment.
  absl::StatusOr<Page<MinistryCertificate>> ListMinistryCertificatesPage(
      const std::string& environment, const PageRequest& page);
  // Every certificate of `environment` (empty: all), following the pages.
  absl::StatusOr<std::vector<MinistryCertificate>> ListAllMinistryCertificates(
      const std::string& environment);

 private:
  struct Stub;  // holds the generated stub
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_KSEF_API_H_
