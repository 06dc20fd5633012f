// sejf.v1.KsefAuth, QR codes: SignOfflineQrCode (KOD II) and
// BuildInvoiceQrCode (KOD I) (ksef_auth_service.h).
#include <optional>
#include <string>
#include <utility>

#include "common/ksef_context.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/credential_access.h"
#include "server/ksef_auth_service.h"
#include "server/resource_names.h"
#include "signer/qr/qr_code.h"
#include "signer/qr/qr_png.h"
#include "vault/records/credential_name.h"

namespace sejf::server {
namespace {

// What both QR requests carry: the seller, the invoice and the environment
// whose QR host the URL names, each checked (errors name the field).
struct QrInvoice {
  signer::InvoiceHash hash;
  std::string host;
};

template <typename Request>
absl::StatusOr<QrInvoice> QrInvoiceFromProto(const Request& request) {
  RETURN_IF_ERROR(ValidateNip(request.seller_nip(), "seller_nip"));
  ASSIGN_OR_RETURN(signer::InvoiceHash hash,
                   WithField("invoice_sha256", signer::InvoiceHash::FromSha256(
                                                   request.invoice_sha256())));
  RETURN_IF_ERROR(WithField(
      "environment", signer::ValidateEnvironmentName(request.environment())));
  ASSIGN_OR_RETURN(
      std::string host,
      WithField("environment", signer::ResolveQrHost(request.environment())));
  return QrInvoice{std::move(hash), std::move(host)};
}

// The PNG options of a QR request, or nullopt when it did not set `png`:
// an unset label is `default_label`, an unset module size the domain's.
template <typename Request>
absl::StatusOr<std::optional<signer::QrPngOptions>> QrPngOptionsFromProto(
    const Request& request, absl::string_view default_label) {
  if (!request.has_png()) return std::nullopt;
  const sejf::v1::QrPngOptions& png = request.png();
  signer::QrPngOptions options;
  options.label =
      png.label().empty() ? std::string(default_label) : png.label();
  if (png.module_pixels() != 0) options.module_pixels = png.module_pixels();
  RETURN_IF_ERROR(WithField("png", signer::ValidateQrPngOptions(options)));
  return options;
}

// Answers `url`, and its PNG when `png` is set.
template <typename Response>
absl::Status AnswerQr(std::string url,
                      const std::optional<signer::QrPngOptions>& png,
                      Response* response) {
  if (png) {
    ASSIGN_OR_RETURN(std::string image,
                     WithField("png", signer::RenderQrPng(url, *png)));
    response->set_png(std::move(image));
  }
  response->set_url(std::move(url));
  return absl::OkStatus();
}

}  // namespace

grpc::Status KsefAuthService::SignOfflineQrCode(
    grpc::ServerContext* context,
    const sejf::v1::SignOfflineQrCodeRequest* request,
    sejf::v1::SignOfflineQrCodeResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    signer::OfflineQrRequest qr;
    ASSIGN_OR_RETURN(qr.key_name, KeyNameFromResource(request->key(), "key"));
    ASSIGN_OR_RETURN(qr.context,
                     ParseKsefContext(request->context(), "context"));
    ASSIGN_OR_RETURN(QrInvoice invoice, QrInvoiceFromProto(*request));
    qr.seller_nip = request->seller_nip();
    qr.invoice_hash = invoice.hash;
    qr.qr_host = std::move(invoice.host);
    // Before signing: bad PNG options sign nothing.
    ASSIGN_OR_RETURN(
        auto png, QrPngOptionsFromProto(*request, signer::kCertificateQrLabel));
    RETURN_IF_ERROR(call.Authorize(
        Operation::kQrOffline, KeyTarget(qr.key_name, qr.context.ToString())));
    ASSIGN_OR_RETURN(signer::OfflineQrCode code, qr_signer_.Sign(qr));
    return AnswerQr(std::move(code.url), png, response);
  });
}

grpc::Status KsefAuthService::BuildInvoiceQrCode(
    grpc::ServerContext* context,
    const sejf::v1::BuildInvoiceQrCodeRequest* request,
    sejf::v1::BuildInvoiceQrCodeResponse* response) {
  // No secret: no policy operation; RunRpc still requires a known caller.
  return RunRpc(env_, context, *request, [&](RpcCall&) -> absl::Status {
    ASSIGN_OR_RETURN(QrInvoice invoice, QrInvoiceFromProto(*request));
    ASSIGN_OR_RETURN(
        std::string url,
        WithField("issue_date", signer::BuildInvoiceQrUrl(
                                    invoice.host, request->seller_nip(),
                                    request->issue_date(), invoice.hash)));
    ASSIGN_OR_RETURN(auto png, QrPngOptionsFromProto(
                                   *request, signer::kInvoiceQrOfflineLabel));
    return AnswerQr(std::move(url), png, response);
  });
}

}  // namespace sejf::server
