// Builds the Ministry certificate trust (signer/ministry/ministry_trust.h)
// from sejfd's [ksef.environments.NAME] configuration: reads every
// mf_trust_anchors file and checks it and the pinned fingerprints.
//
// Thread-safety: a function without shared state.
#ifndef SEJF_SERVER_MINISTRY_TRUST_CONFIG_H_
#define SEJF_SERVER_MINISTRY_TRUST_CONFIG_H_

#include <memory>

#include "absl/status/statusor.h"
#include "server/config/config.h"
#include "signer/ministry/ministry_trust.h"
#include "vault/crypto/keyring.h"

namespace sejf::server {

// The trust of every configured environment; `keyring` (which seals operator
// pins) must outlive the result. Errors name the key:
//   INVALID_ARGUMENT `ksef.environments.test.mf_trust_anchors
//   "/etc/sejf/mf.pem": holds no PEM CERTIFICATE block …` (also for an
//   unreadable file: NOT_FOUND / FAILED_PRECONDITION with the same prefix),
//   or `ksef.environments.prod.mf_pinned_fingerprints[1] is not …`.
absl::StatusOr<std::unique_ptr<signer::MinistryTrust>> BuildMinistryTrust(
    const KsefConfig& config, vault::Keyring* keyring);

}  // namespace sejf::server

#endif  // SEJF_SERVER_MINISTRY_TRUST_CONFIG_H_
