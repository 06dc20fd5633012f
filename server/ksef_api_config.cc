#include "server/ksef_api_config.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/ksef_api/ksef_api_url.h"

namespace sejf::server {

std::map<std::string, broker::KsefHttpApiSettings> KsefApiSettings(
    const KsefConfig& config) {
  auto settings_for = [&](const std::string& name) {
    broker::KsefHttpApiSettings settings;
    settings.environment = name;
    if (auto url = broker::BuiltInKsefApiUrl(name)) {
      settings.base_url = std::string(*url);
    }
    settings.connect_timeout =
        absl::Seconds(config.api_connect_timeout_seconds);
    settings.timeout = absl::Seconds(config.api_timeout_seconds);
    settings.max_attempts = config.api_max_attempts;
    settings.max_requests_per_second = config.api_requests_per_second;
    return settings;
  };
  std::map<std::string, broker::KsefHttpApiSettings> environments;
  for (const char* name : {"test", "demo", "prod"}) {
    environments.emplace(name, settings_for(name));
  }
  for (const auto& [name, env] : config.environments) {
    auto it = environments.try_emplace(name, settings_for(name)).first;
    if (!env.api_url.empty()) it->second.base_url = env.api_url;
    it->second.ca_file = env.ca_file;
  }
  return environments;
}

absl::StatusOr<std::unique_ptr<broker::KsefHttpApiDirectory>>
BuildKsefApiDirectory(const KsefConfig& config,
                      broker::KsefCallObserver observer) {
  auto directory = broker::KsefHttpApiDirectory::Create(KsefApiSettings(config),
                                                        std::move(observer));
  if (!directory.ok()) {
    return absl::Status(
        directory.status().code(),
        absl::StrCat("KSeF API configuration: ", directory.status().message()));
  }
  return directory;
}

}  // namespace sejf::server
