// Generating a signing key pair in a PKCS#11 token with C_GenerateKeyPair,
// with the attributes described in pkcs11_key_store.h.
//
// Thread-safety: thread-safe as far as the lease is used by one thread.
#ifndef SEJF_HSM_PKCS11_KEY_PAIR_GENERATION_H_
#define SEJF_HSM_PKCS11_KEY_PAIR_GENERATION_H_

#include <p11-kit/pkcs11.h>

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/key_store.h"
#include "hsm/pkcs11/session_pool.h"

namespace sejf::hsm::pkcs11 {

struct GeneratedKeyPair {
  CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
};

// C_GenerateKeyPair of a pair of token objects whose templates both carry
// CKA_ID `id`, into `pair`. SoftHSM2 answers CKR_GENERAL_ERROR when its read
// of the token file meets another process's rewrite of it (each login
// rewrites it: sejfd replicas starting on one token directory); no pair is
// made then, so the call is tried again, kGenerateAttempts times in all,
// after destroying whatever a failed attempt left under `id`. Other codes
// end at once. Errors per CkRvToStatus(what).
inline constexpr int kGenerateAttempts = 5;
absl::Status GenerateTokenKeyPair(SessionPool::Lease& lease,
                                  CK_MECHANISM mechanism,
                                  std::vector<CK_ATTRIBUTE>& public_template,
                                  std::vector<CK_ATTRIBUTE>& private_template,
                                  absl::string_view id, absl::string_view what,
                                  GeneratedKeyPair& pair);

// Generates a token key pair of `algorithm` with CKA_LABEL `label` and
// CKA_ID `id` on both halves; the private half sensitive, never
// extractable, for signing only. The session must be logged in (read/write).
// Errors per CkRvToStatus("C_GenerateKeyPair").
absl::StatusOr<GeneratedKeyPair> GenerateKeyPairInToken(
    SessionPool::Lease& lease, absl::string_view label, absl::string_view id,
    KeyAlgorithm algorithm);

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_KEY_PAIR_GENERATION_H_
