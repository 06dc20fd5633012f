#include "client/ksef_api.h"

#include "client/ksef_conversions.h"
#include "client/unary_call.h"
#include "sejf/v1/ksef_auth.grpc.pb.h"

namespace sejf::client {
namespace {

using v1::KsefAuth;

const auto kFromProto = [](const auto& response) {
  return FromProto(response);
};

}  // namespace

struct KsefApi::Stub {
  std::unique_ptr<KsefAuth::Stub> rpc;
};

KsefApi::KsefApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(new Stub{KsefAuth::NewStub(std::move(channel))}),
      timeout_(timeout) {}

KsefApi::~KsefApi() = default;

absl::StatusOr<SignedAuthTokenRequest> KsefApi::SignAuthTokenRequest(
    const AuthTokenRequest& request) {
  return Converted(UnaryCall(*stub_->rpc, &KsefAuth::Stub::SignAuthTokenRequest,
                             ToProto(request), timeout_),
                   kFromProto);
}

absl::StatusOr<EncryptedToken> KsefApi::EncryptToken(
    const TokenEncryption& request) {
  return Converted(UnaryCall(*stub_->rpc, &KsefAuth::Stub::EncryptToken,
                             ToProto(request), timeout_),
                   kFromProto);
}

absl::StatusOr<QrCode> KsefApi::SignOfflineQrCode(
    const OfflineQrCodeSpec& spec) {
  return Converted(UnaryCall(*stub_->rpc, &KsefAuth::Stub::SignOfflineQrCode,
                             ToProto(spec), timeout_),
                   kFromProto);
}

absl::StatusOr<QrCode> KsefApi::BuildInvoiceQrCode(
    const InvoiceQrCodeSpec& spec) {
  return Converted(UnaryCall(*stub_->rpc, &KsefAuth::Stub::BuildInvoiceQrCode,
                             ToProto(spec), timeout_),
                   kFromProto);
}

absl::StatusOr<std::vector<MinistryCertificate>>
KsefApi::ImportMinistryCertificates(const MinistryCertificateImport& request) {
  return Converted(
      UnaryCall(*stub_->rpc, &KsefAuth::Stub::ImportMinistryCertificates,
                ToProto(request), timeout_),
      kFromProto);
}

absl::StatusOr<Page<MinistryCertificate>> KsefApi::ListMinistryCertificatesPage(
    const std::string& environment, const PageRequest& page) {
  return Converted(
      UnaryCall(*stub_->rpc, &KsefAuth::Stub::ListMinistryCertificates,
                ToListRequest(environment, page), timeout_),
      kFromProto);
}

absl::StatusOr<std::vector<MinistryCertificate>>
KsefApi::ListAllMinistryCertificates(const std::string& environment) {
  return FollowPages<MinistryCertificate>([&](const PageRequest& page) {
    return ListMinistryCertificatesPage(environment, page);
  });
}

}  // namespace sejf::client
