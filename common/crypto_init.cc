#include "common/crypto_init.h"

#include <sodium.h>

namespace sejf {

absl::Status InitCrypto() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

}  // namespace sejf
