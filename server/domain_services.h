// The domain services behind sejfd's gRPC adapters.
#ifndef SEJF_SERVER_DOMAIN_SERVICES_H_
#define SEJF_SERVER_DOMAIN_SERVICES_H_

#include "broker/lifecycle/certificate_enroller.h"
#include "broker/lifecycle/ksef_tokens.h"
#include "broker/sessions/ksef_sessions.h"
#include "server/dropoff/dropoff_import_key.h"
#include "signer/custody/key_custody.h"
#include "signer/custody/vault_check.h"
#include "signer/ksef/auth_token_signer.h"
#include "signer/ministry/ministry_certificate_store.h"
#include "signer/ministry/token_encryption.h"
#include "signer/qr/offline_qr_signer.h"
#include "vault/audit/audit_log.h"
#include "vault/backup/vault_backup.h"
#include "vault/dropoff/dropoff_store.h"
#include "vault/tokens/token_vault.h"

namespace sejf::server {

// The domain services behind the adapters; not owned, must outlive the
// Daemon. None may be null: SejfServices::Create (services.h) refuses a
// missing one, so no handler checks.
struct DomainServices {
  signer::KeyCustody* keys = nullptr;
  vault::TokenVault* tokens = nullptr;
  signer::AuthTokenSigner* auth_signer = nullptr;
  signer::MinistryCertificateStore* mfcerts = nullptr;
  signer::KsefTokenEncryptor* token_encryptor = nullptr;
  signer::OfflineQrSigner* qr_signer = nullptr;
  // Standing KSeF logins (broker/sessions).
  broker::KsefSessions* sessions = nullptr;
  // KSeF tokens minted into the vault, revoked in KSeF (issue 14).
  broker::KsefTokens* ksef_tokens = nullptr;
  // KSeF certificates (broker/lifecycle); may be null (EnrollKey and
  // RevokeKey then answer FAILED_PRECONDITION).
  broker::CertificateEnroller* enroller = nullptr;
  // Every RPC's event.
  vault::AuditLog* audit = nullptr;
  // `sejf vault check` (TokenVault.CheckVault).
  const signer::VaultChecker* vault_check = nullptr;
  // `sejf backup` (TokenVault.BackupVault, issue 16); may be null
  // (BackupVault then answers FAILED_PRECONDITION).
  vault::VaultBackup* backup = nullptr;
  // Issue 15, drop-off links: may be null (no [dropoff] listen; the Dropoff
  // service then refuses to create links). The import key the page
  // encrypts to, and the links' "https://HOST:PORT".
  vault::DropoffStore* dropoffs = nullptr;
  DropoffImportKey* dropoff_import_key = nullptr;
  std::string dropoff_base_url = {};
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_DOMAIN_SERVICES_H_
