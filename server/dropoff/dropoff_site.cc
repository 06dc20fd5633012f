#include "server/dropoff/dropoff_site.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "server/dropoff/dropoff_routes.h"

namespace sejf::server {

absl::StatusOr<std::unique_ptr<DropoffSite>> DropoffSite::Start(
    const Config& config, const DropoffSiteParts& parts) {
  std::unique_ptr<DropoffSite> site(new DropoffSite());
  site->store_ =
      std::make_unique<vault::DropoffStore>(parts.storage, parts.clock);
  site->import_key_ = std::make_unique<KeyStoreImportKey>(parts.keys);
  if (config.dropoff.listen.empty()) return site;

  // The import key exists before the first link is made.
  RETURN_IF_ERROR(WithContext(site->import_key_->PublicKey().status(),
                              "dropoff: the import key"));
  site->portal_ = std::make_unique<DropoffPortal>(
      site->store_.get(), parts.tokens, parts.custody, site->import_key_.get(),
      parts.audit, parts.logger);
  HttpTls tls;
  ASSIGN_OR_RETURN(tls.certificate_chain_pem,
                   WithContext(ReadFile(config.tls.cert), "tls.cert"));
  ASSIGN_OR_RETURN(tls.private_key_pem,
                   WithContext(ReadSecretFile(config.tls.key), "tls.key"));
  ASSIGN_OR_RETURN(
      site->listener_,
      HttpListener::Start(
          DropoffListenerOptions(config.dropoff.listen, std::move(tls)),
          DropoffRoutes(site->portal_.get())));
  site->base_url_ = config.dropoff.public_url.empty()
                        ? absl::StrCat("https://", site->listener_->address())
                        : config.dropoff.public_url;
  return site;
}

DropoffSite::~DropoffSite() { Stop(); }

std::string DropoffSite::address() const {
  return listener_ ? listener_->address() : "";
}

void DropoffSite::Stop() {
  if (listener_) listener_->Stop();
}

}  // namespace sejf::server
