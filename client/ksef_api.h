// The KsefAuth API for clients: one method per RPC, with the client's
// deadline; errors carry the server's code and message. Messages are the
// public API types of proto/sejf/v1/ksef_auth.proto.
//
// Thread-safety: thread-safe (the stub is).
#ifndef SEJF_CLIENT_KSEF_API_H_
#define SEJF_CLIENT_KSEF_API_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sejf/v1/ksef_auth.grpc.pb.h"

namespace sejf::client {

class KsefApi {
 public:
  KsefApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);

  absl::StatusOr<v1::SignAuthTokenRequestResponse> SignAuthTokenRequest(
      const v1::SignAuthTokenRequestRequest& request);
  absl::StatusOr<v1::EncryptTokenResponse> EncryptToken(
      const v1::EncryptTokenRequest& request);
  absl::StatusOr<v1::SignOfflineQrCodeResponse> SignOfflineQrCode(
      const v1::SignOfflineQrCodeRequest& request);
  absl::StatusOr<v1::BuildInvoiceQrCodeResponse> BuildInvoiceQrCode(
      const v1::BuildInvoiceQrCodeRequest& request);
  absl::StatusOr<v1::ImportMinistryCertificatesResponse>
  ImportMinistryCertificates(
      const v1::ImportMinistryCertificatesRequest& request);
  absl::StatusOr<v1::ListMinistryCertificatesResponse>
  ListMinistryCertificatesPage(
      const v1::ListMinistryCertificatesRequest& request);
  // Every certificate matching `request`'s environment, following the pages.
  absl::StatusOr<std::vector<v1::MinistryCertificate>>
  ListAllMinistryCertificates(v1::ListMinistryCertificatesRequest request);

 private:
  std::unique_ptr<v1::KsefAuth::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_KSEF_API_H_
