// Cryptographically secure randomness (libsodium; sodium_init must have run,
// see common/crypto_init.h).
#ifndef SEJF_COMMON_RANDOM_H_
#define SEJF_COMMON_RANDOM_H_

#include <sodium.h>

#include <cstddef>
#include <string>

#include "common/secret.h"

namespace sejf {

// `n` random bytes as a string (not secret material: ids, serials, nonces).
inline std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

// `n` random bytes as 2n lowercase hex characters (ids).
std::string RandomHex(std::size_t n);

// A secret of `n` characters drawn uniformly from [0-9A-Za-z] (PINs).
SecretBytes RandomAlphanumericSecret(std::size_t n);

}  // namespace sejf

#endif  // SEJF_COMMON_RANDOM_H_
