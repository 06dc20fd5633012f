// Sealed records: a secret encrypted with the keyring's current data key
// and bound to the place it is stored, so that it opens only there.
//
// Byte layout of a sealed record (what Seal returns, what Open takes):
//
//   offset  size  field
//   0       1     format version: 0x01
//   1       4     dek id: the keyring data key that sealed it, big-endian
//   5       24    nonce (random per seal)
//   29      n+16  XChaCha20-Poly1305-IETF ciphertext of the n-byte secret,
//                 then the 16-byte Poly1305 tag
//
// (bytes 5.. are exactly XChaCha20Poly1305Aead's ciphertext layout.)
//
// Associated data (authenticated, not stored), all integers big-endian:
//
//   "sejf-sealed-record" (18 ASCII bytes, a domain separator)
//   format version (1 byte) | dek id (4 bytes)
//   len(kind) (4 bytes) | kind          record kind, e.g. "tokens"
//   len(id)   (4 bytes) | id            record id, e.g. the token's name
//   version   (8 bytes, two's complement)  the record's version, e.g. the
//                                       token version (1 at import, +1 per
//                                       rotation)
//
// So a sealed record copied to another row (other kind or id), restored
// from an older version, or with any byte changed (header included) fails
// to open with DATA_LOSS, never yielding a wrong plaintext. The length
// prefixes keep (kind, id) pairs from running into each other.
//
// Thread-safety: pure functions over a thread-safe Keyring.
#ifndef SEJF_VAULT_CRYPTO_SEALED_RECORD_H_
#define SEJF_VAULT_CRYPTO_SEALED_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret.h"
#include "vault/crypto/keyring.h"

namespace sejf::vault {

inline constexpr std::uint8_t kSealedFormatVersion = 1;
inline constexpr std::size_t kSealedHeaderSize = 1 + 4 + 24;
inline constexpr std::size_t kSealedOverhead = kSealedHeaderSize + 16;

// Where a sealed record belongs. The views must stay valid for the call.
struct SealedPlace {
  absl::string_view kind = {};
  absl::string_view id = {};
  std::int64_t version = 0;
};

// `secret` sealed under the keyring's current data key for `place`.
// Errors: INTERNAL only.
absl::StatusOr<std::string> Seal(const Keyring& keyring,
                                 absl::string_view secret,
                                 const SealedPlace& place);

// The secret of a sealed record, in zeroing memory. DATA_LOSS when it is
// malformed (short, unknown format), names a data key the keyring does not
// have, was altered, or belongs to another place.
absl::StatusOr<SecretBytes> Open(Keyring& keyring, absl::string_view sealed,
                                 const SealedPlace& place);

// The dek id in a sealed record's header (to find records sealed under an
// older key). DATA_LOSS when the header is malformed.
absl::StatusOr<std::uint32_t> SealedDataKeyId(absl::string_view sealed);

// The associated data described above (exposed for tests).
std::string SealedAssociatedData(std::uint32_t dek_id,
                                 const SealedPlace& place);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_CRYPTO_SEALED_RECORD_H_
