// sejf.v1.KsefAuth: the gRPC adapter over the KSeF signing domain code
// (signer/ksef, signer/ministry, signer/qr, vault/tokens).
//
// Every method: validate the request (INVALID_ARGUMENT naming the field,
// nothing secret in any message), authorize (the operation of the proto
// comments, against the key or token name and the KSeF context), call the
// domain service, convert. A domain service missing from DomainServices
// answers UNAVAILABLE. The frame (RunRpc) logs and audits each call.
//
// EncryptToken authorizes against the token's own context: the one asked
// for when the request names it (it must then be the token's), else the
// one stored with the token — so omitting `context` never escapes a policy
// rule restricted to some contexts.
//
// BuildInvoiceQrCode involves no secret and is not checked by policy; it
// still needs an authenticated caller (RunRpc refuses others) and is
// audited.
//
// Challenge and timestamp windows are checked against the system clock.
#ifndef SEJF_SERVER_KSEF_AUTH_SERVICE_H_
#define SEJF_SERVER_KSEF_AUTH_SERVICE_H_

#include "sejf/v1/ksef_auth.grpc.pb.h"
#include "server/domain_services.h"
#include "server/rpc_call.h"

namespace sejf::server {

// Thread-safe (stateless beyond the shared environment and the domain
// services, which are thread-safe).
class KsefAuthService final : public sejf::v1::KsefAuth::Service {
 public:
  KsefAuthService(const ServiceEnvironment& env, const DomainServices& domain)
      : env_(env), domain_(domain) {}

  grpc::Status SignAuthTokenRequest(
      grpc::ServerContext* context,
      const sejf::v1::SignAuthTokenRequestRequest* request,
      sejf::v1::SignAuthTokenRequestResponse* response) override;
  grpc::Status EncryptToken(grpc::ServerContext* context,
                            const sejf::v1::EncryptTokenRequest* request,
                            sejf::v1::EncryptTokenResponse* response) override;
  grpc::Status SignOfflineQrCode(
      grpc::ServerContext* context,
      const sejf::v1::SignOfflineQrCodeRequest* request,
      sejf::v1::SignOfflineQrCodeResponse* response) override;
  grpc::Status BuildInvoiceQrCode(
      grpc::ServerContext* context,
      const sejf::v1::BuildInvoiceQrCodeRequest* request,
      sejf::v1::BuildInvoiceQrCodeResponse* response) override;
  grpc::Status ImportMinistryCertificates(
      grpc::ServerContext* context,
      const sejf::v1::ImportMinistryCertificatesRequest* request,
      sejf::v1::ImportMinistryCertificatesResponse* response) override;
  grpc::Status ListMinistryCertificates(
      grpc::ServerContext* context,
      const sejf::v1::ListMinistryCertificatesRequest* request,
      sejf::v1::ListMinistryCertificatesResponse* response) override;

 private:
  const ServiceEnvironment& env_;
  DomainServices domain_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_KSEF_AUTH_SERVICE_H_
