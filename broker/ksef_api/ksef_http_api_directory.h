// KsefApiDirectory over KsefHttpApi: one API per configured environment,
// all made (and their CA files read) at construction, so a bad setting stops
// sejfd at start rather than at the first login.
//
// Thread-safety: thread-safe (immutable after Create).
#ifndef SEJF_BROKER_KSEF_API_KSEF_HTTP_API_DIRECTORY_H_
#define SEJF_BROKER_KSEF_API_KSEF_HTTP_API_DIRECTORY_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/ksef_api/ksef_api.h"
#include "broker/ksef_api/ksef_http_api.h"

namespace sejf::broker {

class KsefHttpApiDirectory final : public KsefApiDirectory {
 public:
  // `environments`: name → settings (settings.environment is set to the
  // name). An empty base_url means the environment is known but has no API
  // address: For() refuses it. Errors are KsefHttpApi::Create's.
  static absl::StatusOr<std::unique_ptr<KsefHttpApiDirectory>> Create(
      std::map<std::string, KsefHttpApiSettings> environments,
      KsefCallObserver observer);

  // FAILED_PRECONDITION "KSeF environment \"acme\" has no API address: set
  // api_url in [ksef.environments.acme] …" for an environment without one
  // (or not configured at all).
  absl::StatusOr<KsefApi*> For(absl::string_view environment) override;

 private:
  explicit KsefHttpApiDirectory(
      std::map<std::string, std::unique_ptr<KsefHttpApi>, std::less<>> apis)
      : apis_(std::move(apis)) {}

  const std::map<std::string, std::unique_ptr<KsefHttpApi>, std::less<>> apis_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_KSEF_API_KSEF_HTTP_API_DIRECTORY_H_
