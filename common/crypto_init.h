// One-time process initialisation of the crypto libraries.
#ifndef SEJF_COMMON_CRYPTO_INIT_H_
#define SEJF_COMMON_CRYPTO_INIT_H_

#include "absl/status/status.h"

namespace sejf {

// Runs sodium_init() once; safe to call from several places and threads.
// Fails (INTERNAL) only when libsodium cannot initialise.
absl::Status InitCrypto();

}  // namespace sejf

#endif  // SEJF_COMMON_CRYPTO_INIT_H_
