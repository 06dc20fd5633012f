#include "server/ministry_trust_config.h"

#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"

namespace sejf::server {

absl::StatusOr<std::unique_ptr<signer::MinistryTrust>> BuildMinistryTrust(
    const KsefConfig& config, vault::Keyring* keyring) {
  std::map<std::string, signer::MinistryTrustSettings> environments;
  for (const auto& [name, env] : config.environments) {
    std::string prefix = absl::StrCat("ksef.environments.", name);
    signer::MinistryTrustSettings settings;
    settings.pins_source = absl::StrCat(prefix, ".mf_pinned_fingerprints");
    settings.pinned_fingerprints = env.mf_pinned_fingerprints;
    if (!env.mf_trust_anchors.empty()) {
      settings.anchors_source = absl::StrCat(prefix, ".mf_trust_anchors \"",
                                             env.mf_trust_anchors, "\"");
      absl::StatusOr<std::string> pem = ReadFile(env.mf_trust_anchors);
      if (!pem.ok()) {
        return absl::Status(pem.status().code(),
                            absl::StrCat(settings.anchors_source, ": ",
                                         pem.status().message()));
      }
      if (pem->empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            settings.anchors_source,
            ": is empty; it must hold the PEM roots and/or intermediates "
            "the Ministry's certificates chain to"));
      }
      settings.anchors_pem = *std::move(pem);
    }
    environments.emplace(name, std::move(settings));
  }
  return signer::MinistryTrust::Create(environments, keyring);
}

}  // namespace sejf::server
