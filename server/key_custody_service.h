// sejf.v1.KeyCustody: the gRPC adapter over signer::KeyCustody. Each handler
// validates and converts the request, asks the policy (keys.read or
// keys.manage, with the key as credential), calls the domain and converts
// back. Listing returns only the keys the caller may read.
#ifndef SEJF_SERVER_KEY_CUSTODY_SERVICE_H_
#define SEJF_SERVER_KEY_CUSTODY_SERVICE_H_

#include <functional>
#include <string>

#include "broker/lifecycle/certificate_enroller.h"
#include "broker/sessions/ksef_sessions.h"
#include "sejf/v1/key_custody.grpc.pb.h"
#include "server/rpc_call.h"
#include "signer/custody/key_custody.h"

namespace sejf::server {

// Thread-safe (stateless beyond the shared, thread-safe domain objects).
class KeyCustodyService final : public sejf::v1::KeyCustody::Service {
 public:
  // `env` and `custody` must outlive the service.
  // `enroller` and `sessions` (KSeF certificates, key_custody_enroll.cc)
  // may be null: EnrollKey and RevokeKey then answer FAILED_PRECONDITION.
  KeyCustodyService(const ServiceEnvironment& env, signer::KeyCustody& custody,
                    broker::CertificateEnroller* enroller = nullptr,
                    broker::KsefSessions* sessions = nullptr)
      : env_(env),
        custody_(custody),
        enroller_(enroller),
        sessions_(sessions) {}

  grpc::Status GenerateKey(grpc::ServerContext* context,
                           const sejf::v1::GenerateKeyRequest* request,
                           sejf::v1::GenerateKeyResponse* response) override;
  grpc::Status GetKey(grpc::ServerContext* context,
                      const sejf::v1::GetKeyRequest* request,
                      sejf::v1::GetKeyResponse* response) override;
  grpc::Status ListKeys(grpc::ServerContext* context,
                        const sejf::v1::ListKeysRequest* request,
                        sejf::v1::ListKeysResponse* response) override;
  grpc::Status CreateCsr(grpc::ServerContext* context,
                         const sejf::v1::CreateCsrRequest* request,
                         sejf::v1::CreateCsrResponse* response) override;
  grpc::Status SelfSignCertificate(
      grpc::ServerContext* context,
      const sejf::v1::SelfSignCertificateRequest* request,
      sejf::v1::SelfSignCertificateResponse* response) override;
  grpc::Status AttachCertificate(
      grpc::ServerContext* context,
      const sejf::v1::AttachCertificateRequest* request,
      sejf::v1::AttachCertificateResponse* response) override;
  grpc::Status DisableKey(grpc::ServerContext* context,
                          const sejf::v1::DisableKeyRequest* request,
                          sejf::v1::DisableKeyResponse* response) override;
  grpc::Status EnableKey(grpc::ServerContext* context,
                         const sejf::v1::EnableKeyRequest* request,
                         sejf::v1::EnableKeyResponse* response) override;
  grpc::Status DestroyKey(grpc::ServerContext* context,
                          const sejf::v1::DestroyKeyRequest* request,
                          sejf::v1::DestroyKeyResponse* response) override;
  // KSeF certificates (key_custody_enroll.cc).
  grpc::Status EnrollKey(grpc::ServerContext* context,
                         const sejf::v1::EnrollKeyRequest* request,
                         sejf::v1::EnrollKeyResponse* response) override;
  grpc::Status RevokeKey(grpc::ServerContext* context,
                         const sejf::v1::RevokeKeyRequest* request,
                         sejf::v1::RevokeKeyResponse* response) override;
  // The import key and key import (key_custody_import.cc, issue 15).
  grpc::Status GetImportKey(grpc::ServerContext* context,
                            const sejf::v1::GetImportKeyRequest* request,
                            sejf::v1::GetImportKeyResponse* response) override;
  grpc::Status ImportKey(grpc::ServerContext* context,
                         const sejf::v1::ImportKeyRequest* request,
                         sejf::v1::ImportKeyResponse* response) override;
  // Key versions and renewal (key_custody_renew.cc).
  grpc::Status RenewKey(grpc::ServerContext* context,
                        const sejf::v1::RenewKeyRequest* request,
                        sejf::v1::RenewKeyResponse* response) override;
  grpc::Status ListKeyVersions(
      grpc::ServerContext* context,
      const sejf::v1::ListKeyVersionsRequest* request,
      sejf::v1::ListKeyVersionsResponse* response) override;
  grpc::Status SetKeyRenewal(
      grpc::ServerContext* context,
      const sejf::v1::SetKeyRenewalRequest* request,
      sejf::v1::SetKeyRenewalResponse* response) override;

 private:
  // The frame of the handlers that act on the one key their request names
  // ("keys/{key}" in field "name"): authorize `operation` on it, `act`,
  // answer the key.
  template <typename Request, typename Response>
  grpc::Status ActOnKey(
      grpc::ServerContext* context, const Request& request, Response* response,
      Operation operation,
      const std::function<absl::StatusOr<signer::Key>(const std::string&)>&
          act);

  // The key `key` as the API shows it: KeyToProto and, for a key enrolled
  // through KSeF, its enrollment (key_custody_enroll.cc).
  absl::Status KeyWithEnrollment(const signer::Key& key, sejf::v1::Key* out);

  const ServiceEnvironment& env_;
  signer::KeyCustody& custody_;
  broker::CertificateEnroller* const enroller_;
  broker::KsefSessions* const sessions_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_KEY_CUSTODY_SERVICE_H_
