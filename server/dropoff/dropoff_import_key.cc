#include "server/dropoff/dropoff_import_key.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"

namespace sejf::server {

std::string ImportKeyFingerprintHex(absl::string_view spki_der) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(spki_der.data()),
         spki_der.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace sejf::server
