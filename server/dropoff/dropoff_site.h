// server::DropoffSite: sejfd's drop-off links assembled from the config
// ([dropoff], [tls] cert and key; issue 15, docs/dropoff.md): the store of
// links, the import key of the key store, the portal and — with
// dropoff.listen set — its HTTPS listener (an HttpListener with the routes of
// dropoff_routes.h). main.cc starts one and hands its
// parts to the Dropoff service (DomainServices).
//
// Thread-safety: the accessors are safe from any thread after Start; Stop
// from one thread (the destructor stops too).
#ifndef SEJF_SERVER_DROPOFF_DROPOFF_SITE_H_
#define SEJF_SERVER_DROPOFF_DROPOFF_SITE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "hsm/key_store.h"
#include "server/config/config.h"
#include "server/dropoff/dropoff_import_key.h"
#include "server/dropoff/dropoff_portal.h"
#include "server/http/http_listener.h"
#include "server/logger.h"
#include "signer/custody/key_custody.h"
#include "vault/audit/audit_log.h"
#include "vault/dropoff/dropoff_store.h"
#include "vault/storage/storage.h"
#include "vault/tokens/token_vault.h"

namespace sejf::server {

struct DropoffSiteParts {
  vault::Storage* storage = nullptr;
  const Clock* clock = nullptr;
  hsm::KeyStore* keys = nullptr;
  signer::KeyCustody* custody = nullptr;  // key links deliver here
  vault::TokenVault* tokens = nullptr;
  vault::AuditLog* audit = nullptr;
  const Logger* logger = nullptr;
};

class DropoffSite {
 public:
  // Every part must outlive the site. With dropoff.listen set, reads
  // tls.cert and tls.key, binds the listener and makes sure the import key
  // exists (its fingerprint is logged at start); errors name the key at
  // fault (INVALID_ARGUMENT, UNAVAILABLE, the file's error).
  static absl::StatusOr<std::unique_ptr<DropoffSite>> Start(
      const Config& config, const DropoffSiteParts& parts);
  ~DropoffSite();

  vault::DropoffStore* store() { return store_.get(); }
  DropoffImportKey* import_key() { return import_key_.get(); }
  // "https://…" the links start with; empty without a listener.
  const std::string& base_url() const { return base_url_; }
  // The listener's bound "HOST:PORT"; empty without one.
  std::string address() const;

  void Stop();

 private:
  DropoffSite() = default;

  std::unique_ptr<vault::DropoffStore> store_;
  std::unique_ptr<DropoffImportKey> import_key_;
  std::unique_ptr<DropoffPortal> portal_;
  std::unique_ptr<HttpListener> listener_;  // dropoff_routes.h
  std::string base_url_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_DROPOFF_DROPOFF_SITE_H_
