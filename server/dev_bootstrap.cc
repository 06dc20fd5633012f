#include "server/dev_bootstrap.h"

#include <cstdlib>

#include "common/files.h"
#include "common/status_macros.h"
#include "hsm/softhsm_bootstrap.h"
#include "server/tls/dev_pki.h"

namespace sejf::server {

absl::StatusOr<hsm::OpenedToken> BootstrapDevDataDir(const Config& config,
                                                     const Clock& clock) {
  RETURN_IF_ERROR(EnsureDirectory(config.data_dir, 0700,
                                  /*require_private=*/true));
  RETURN_IF_ERROR(EnsureDevPki(config.data_dir + "/tls", clock));
  hsm::SoftHsmOptions options;
  options.data_dir = config.data_dir;
  options.module_path = config.hsm.module;
  options.token_label = config.hsm.token_label;
  return hsm::EnsureSoftHsmToken(options);
}

absl::StatusOr<hsm::OpenedToken> OpenConfiguredToken(const Config& config) {
  if (!config.hsm.softhsm2_conf.empty()) {
    setenv("SOFTHSM2_CONF", config.hsm.softhsm2_conf.c_str(), 1);
  }
  return hsm::OpenToken(config.hsm.module, config.hsm.token_label,
                        config.hsm.pin_file);
}

}  // namespace sejf::server
