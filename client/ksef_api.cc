#include "client/ksef_api.h"

#include "client/unary_call.h"

namespace sejf::client {

using v1::KsefAuth;

KsefApi::KsefApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(KsefAuth::NewStub(std::move(channel))), timeout_(timeout) {}

absl::StatusOr<v1::SignAuthTokenRequestResponse> KsefApi::SignAuthTokenRequest(
    const v1::SignAuthTokenRequestRequest& request) {
  return UnaryCall(*stub_, &KsefAuth::Stub::SignAuthTokenRequest, request,
                   timeout_);
}

absl::StatusOr<v1::EncryptTokenResponse> KsefApi::EncryptToken(
    const v1::EncryptTokenRequest& request) {
  return UnaryCall(*stub_, &KsefAuth::Stub::EncryptToken, request, timeout_);
}

absl::StatusOr<v1::SignOfflineQrCodeResponse> KsefApi::SignOfflineQrCode(
    const v1::SignOfflineQrCodeRequest& request) {
  return UnaryCall(*stub_, &KsefAuth::Stub::SignOfflineQrCode, request,
                   timeout_);
}

absl::StatusOr<v1::BuildInvoiceQrCodeResponse> KsefApi::BuildInvoiceQrCode(
    const v1::BuildInvoiceQrCodeRequest& request) {
  return UnaryCall(*stub_, &KsefAuth::Stub::BuildInvoiceQrCode, request,
                   timeout_);
}

absl::StatusOr<v1::ImportMinistryCertificatesResponse>
KsefApi::ImportMinistryCertificates(
    const v1::ImportMinistryCertificatesRequest& request) {
  return UnaryCall(*stub_, &KsefAuth::Stub::ImportMinistryCertificates, request,
                   timeout_);
}

absl::StatusOr<v1::ListMinistryCertificatesResponse>
KsefApi::ListMinistryCertificatesPage(
    const v1::ListMinistryCertificatesRequest& request) {
  return UnaryCall(*stub_, &KsefAuth::Stub::ListMinistryCertificates, request,
                   timeout_);
}

absl::StatusOr<std::vector<v1::MinistryCertificate>>
KsefApi::ListAllMinistryCertificates(
    v1::ListMinistryCertificatesRequest request) {
  return FollowPages<v1::MinistryCertificate>(
      std::move(request),
      [this](const auto& r) { return ListMinistryCertificatesPage(r); },
      [](const v1::ListMinistryCertificatesResponse& page) -> const auto& {
        return page.certificates();
      });
}

}  // namespace sejf::client
