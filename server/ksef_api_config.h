// Builds the KSeF API of every environment (broker/ksef_api/
// ksef_http_api_directory.h) from sejfd's configuration: the built-in test,
// demo and prod with their official URLs (BuiltInKsefApiUrl), each
// [ksef.environments.NAME] api_url / ca_file overriding or adding one, and
// [ksef]'s api_connect_timeout_seconds, api_timeout_seconds and
// api_max_attempts for all of them.
//
// Thread-safety: a function without shared state.
#ifndef SEJF_SERVER_KSEF_API_CONFIG_H_
#define SEJF_SERVER_KSEF_API_CONFIG_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "broker/ksef_api/ksef_http_api.h"
#include "broker/ksef_api/ksef_http_api_directory.h"
#include "server/config/config.h"

namespace sejf::server {

// The settings of each environment, as BuildKsefApiDirectory uses them (an
// environment without an API address has an empty base_url).
std::map<std::string, broker::KsefHttpApiSettings> KsefApiSettings(
    const KsefConfig& config);

// Reads every ca_file now. Errors name the environment and the file
// ("KSeF API configuration: KSeF environment emulator: ca_file \"/etc/…\"
// holds no PEM CERTIFICATE block …"); `observer` (may be null) is told of
// every call any environment's API makes.
absl::StatusOr<std::unique_ptr<broker::KsefHttpApiDirectory>>
BuildKsefApiDirectory(const KsefConfig& config,
                      broker::KsefCallObserver observer);

}  // namespace sejf::server

#endif  // SEJF_SERVER_KSEF_API_CONFIG_H_
