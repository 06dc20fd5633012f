// `sejfd --dev --data-dir DIR`: everything of architecture §7 under DIR,
// created on first start and reused afterwards (DIR mode 0700, the
// development PKI in DIR/tls, the SoftHSM2 token with random PINs).
#ifndef SEJF_SERVER_DEV_BOOTSTRAP_H_
#define SEJF_SERVER_DEV_BOOTSTRAP_H_

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "hsm/token.h"
#include "server/config/config.h"

namespace sejf::server {

// Precondition: no other thread runs yet (the SoftHSM2 bootstrap sets
// SOFTHSM2_CONF). Errors name the path or step that failed.
absl::StatusOr<hsm::OpenedToken> BootstrapDevDataDir(const Config& config,
                                                     const Clock& clock);

// The production path: the configured module and token, logged in once.
// Sets SOFTHSM2_CONF first when hsm.softhsm2_conf is configured.
absl::StatusOr<hsm::OpenedToken> OpenConfiguredToken(const Config& config);

}  // namespace sejf::server

#endif  // SEJF_SERVER_DEV_BOOTSTRAP_H_
