#include "broker/ksef_api/ksef_http_api_directory.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sejf::broker {

absl::StatusOr<std::unique_ptr<KsefHttpApiDirectory>>
KsefHttpApiDirectory::Create(
    std::map<std::string, KsefHttpApiSettings> environments,
    KsefCallObserver observer) {
  std::map<std::string, std::unique_ptr<KsefHttpApi>, std::less<>> apis;
  for (auto& [name, settings] : environments) {
    if (settings.base_url.empty()) continue;
    settings.environment = name;
    ASSIGN_OR_RETURN(std::unique_ptr<KsefHttpApi> api,
                     KsefHttpApi::Create(std::move(settings), observer));
    apis.emplace(name, std::move(api));
  }
  return std::unique_ptr<KsefHttpApiDirectory>(
      new KsefHttpApiDirectory(std::move(apis)));
}

absl::StatusOr<KsefApi*> KsefHttpApiDirectory::For(
    absl::string_view environment) {
  auto it = apis_.find(environment);
  if (it == apis_.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "KSeF environment \"", environment,
        "\" has no API address: set api_url in [ksef.environments.",
        environment,
        "] of sejfd's configuration (test, demo and prod have "
        "the official ones built in)"));
  }
  return it->second.get();
}

}  // namespace sejf::broker
