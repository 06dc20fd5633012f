// sejf.v1.KsefAuth: the gRPC adapter over the KSeF signing domain code
// (signer/ksef, signer/ministry, signer/qr, vault/tokens).
//
// Every method: validate the request (INVALID_ARGUMENT naming the field,
// nothing secret in any message), authorize (the operation of the proto
// comments, against the key or token name and the KSeF context), call the
// domain service, convert. The frame (RunRpc) logs and audits each call.
//
// One class (one proto service), its handlers in one file per concern, each
// with the helpers only it uses:
//   ksef_auth_xades.cc   SignAuthTokenRequest (XAdES AuthTokenRequest)
//   ksef_auth_token.cc   EncryptToken (KSeF token encryption)
//   ksef_auth_qr.cc      SignOfflineQrCode, BuildInvoiceQrCode (KOD II, I)
//   ksef_auth_mfcerts.cc ImportMinistryCertificates, ListMinistryCertificates
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
// Challenge and timestamp windows are checked by the domain, with its clock.
#ifndef SEJF_SERVER_KSEF_AUTH_SERVICE_H_
#define SEJF_SERVER_KSEF_AUTH_SERVICE_H_

#include "sejf/v1/ksef_auth.grpc.pb.h"
#include "server/rpc_call.h"
#include "signer/ksef/auth_token_signer.h"
#include "signer/ministry/ministry_certificate_store.h"
#include "signer/ministry/token_encryption.h"
#include "signer/qr/offline_qr_signer.h"
#include "vault/tokens/token_vault.h"

namespace sejf::server {

// Thread-safe (stateless beyond the shared environment and the domain
// services, which are thread-safe).
class KsefAuthService final : public sejf::v1::KsefAuth::Service {
 public:
  // Everything must outlive the service.
  KsefAuthService(const ServiceEnvironment& env,
                  signer::AuthTokenSigner& auth_signer,
                  signer::KsefTokenEncryptor& token_encryptor,
                  vault::TokenVault& tokens, signer::OfflineQrSigner& qr_signer,
                  signer::MinistryCertificateStore& mfcerts)
      : env_(env),
        auth_signer_(auth_signer),
        token_encryptor_(token_encryptor),
        tokens_(tokens),
        qr_signer_(qr_signer),
        mfcerts_(mfcerts) {}

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
  signer::AuthTokenSigner& auth_signer_;
  signer::KsefTokenEncryptor& token_encryptor_;
  vault::TokenVault& tokens_;
  signer::OfflineQrSigner& qr_signer_;
  signer::MinistryCertificateStore& mfcerts_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_KSEF_AUTH_SERVICE_H_
