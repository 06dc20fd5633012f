#include "server/services.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/audit_log_service.h"
#include "server/dropoff/dropoff_service.h"
#include "server/identity_service.h"
#include "server/key_custody_service.h"
#include "server/ksef_auth_service.h"
#include "server/ksef_sessions_service.h"
#include "server/rpc_method.h"
#include "server/token_vault_service.h"

namespace sejf::server {

struct SejfServices::Services {
  Services(const ServiceEnvironment& env, const DomainServices& domain)
      : identity(env),
        keys(env, *domain.keys, domain.enroller, domain.sessions),
        tokens(env, *domain.tokens, *domain.vault_check, *domain.ksef_tokens,
               domain.keys->import_key(), domain.backup),
        auth(env, *domain.auth_signer, *domain.token_encryptor, *domain.tokens,
             *domain.qr_signer, *domain.mfcerts),
        sessions(env, *domain.sessions),
        audit(env),
        dropoff(env, *domain.tokens,
                {.store = domain.dropoffs,
                 .import_key = domain.dropoff_import_key,
                 .base_url = domain.dropoff_base_url}) {}
  IdentityService identity;
  KeyCustodyService keys;
  TokenVaultService tokens;
  KsefAuthService auth;
  KsefSessionsService sessions;
  AuditLogService audit;
  DropoffService dropoff;  // issue 15
};

namespace {

absl::Status Required(const void* set, absl::string_view what) {
  if (set != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the RPC services need ", what, ", which was not given"));
}

}  // namespace

std::vector<std::string> SejfServices::ServiceNames() {
  return {sejf::v1::Identity::service_full_name(),
          sejf::v1::KeyCustody::service_full_name(),
          sejf::v1::TokenVault::service_full_name(),
          sejf::v1::KsefAuth::service_full_name(),
          sejf::v1::KsefSessions::service_full_name(),
          sejf::v1::AuditLog::service_full_name(),
          sejf::v1::Dropoff::service_full_name()};
}

absl::StatusOr<std::unique_ptr<SejfServices>> SejfServices::Create(
    const ServiceEnvironment& env, const DomainServices& domain) {
  RETURN_IF_ERROR(Required(env.policy, "a policy"));
  RETURN_IF_ERROR(Required(env.logger, "a logger"));
  RETURN_IF_ERROR(Required(env.audit, "the audit log"));
  RETURN_IF_ERROR(Required(domain.keys, "key custody"));
  RETURN_IF_ERROR(Required(domain.tokens, "the token vault"));
  RETURN_IF_ERROR(Required(domain.auth_signer, "the XAdES signer"));
  RETURN_IF_ERROR(Required(domain.mfcerts, "the Ministry certificate store"));
  RETURN_IF_ERROR(Required(domain.token_encryptor, "the token encryptor"));
  RETURN_IF_ERROR(Required(domain.qr_signer, "the QR code signer"));
  RETURN_IF_ERROR(Required(domain.sessions, "the KSeF sessions"));
  RETURN_IF_ERROR(Required(domain.vault_check, "the vault check"));
  RETURN_IF_ERROR(Required(domain.ksef_tokens, "the KSeF token lifecycle"));
  for (const std::string& name : ServiceNames()) {
    const google::protobuf::ServiceDescriptor* service =
        ServiceDescriptorOf(name);
    if (service == nullptr) {
      return absl::InternalError(absl::StrCat("no descriptor for ", name));
    }
    RETURN_IF_ERROR(CheckOwnRequestTypes(*service));
  }
  return std::unique_ptr<SejfServices>(
      new SejfServices(std::make_unique<Services>(env, domain)));
}

SejfServices::SejfServices(std::unique_ptr<Services> services)
    : services_(std::move(services)) {}

SejfServices::~SejfServices() = default;

void SejfServices::RegisterWith(grpc::ServerBuilder& builder) {
  builder.RegisterService(&services_->identity);
  builder.RegisterService(&services_->keys);
  builder.RegisterService(&services_->tokens);
  builder.RegisterService(&services_->auth);
  builder.RegisterService(&services_->sessions);
  builder.RegisterService(&services_->audit);
  builder.RegisterService(&services_->dropoff);
}

}  // namespace sejf::server
