// signer::VaultChecker: `sejf vault check`, the consistency check of what
// the HSM holds against what the vault records, run after a crash (see the
// crash points, common/crash_point.h, and docs/reliability.md).
//
// It reads, never changes: every key record and key intent (storage), every
// key object in the HSM token (hsm::KeyStore::ListKeyObjects), the keyring
// record, and every sealed token secret (opened and wiped at once). Each
// finding says what is wrong, about what, and the step that repairs it:
//
//   kOrphanKeyObject    a key pair in the HSM labelled "sejf-key/…" whose
//                       CKA_ID no key record holds (an interrupted generate:
//                       its key intent is named when there is one)
//   kMissingKeyObject   an active or disabled key whose private key is not
//                       in the HSM (an interrupted destroy, or removed by
//                       other tools)
//   kDestroyedKeyInHsm  a key recorded as destroyed whose pair is still in
//                       the HSM
//   kPendingKeyIntent   a generate that recorded its intent and created
//                       nothing (or whose object is reported as an orphan)
//   kUnreadableToken    a token whose sealed secret no keyring key opens
//   kUnreadableDataKey  a data key the keyring record lists that the keyring
//                       cannot load (Keyring::Get: held since start, else
//                       the record is read and unwrapped again)
//   kMissingKek         the keyring's current KEK is not in the HSM
//   kPendingKek         a KEK rotation that stopped before it committed
//   kRetiredKek         a retired KEK not destroyed yet
//   kUnrecordedKek      a secret key labelled like sejf's KEKs that the
//                       keyring does not record
//
// Objects outside sejf's labels ("sejf-key/…", the KEK labels) that no
// record names are another application's in a shared token, and are not
// reported. A check running while a generate or rotation is under way may
// report its intermediate state.
//
// Thread-safety: thread-safe (it only reads through thread-safe objects).
#ifndef SEJF_SIGNER_CUSTODY_VAULT_CHECK_H_
#define SEJF_SIGNER_CUSTODY_VAULT_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/key_store.h"
#include "vault/crypto/keyring.h"
#include "vault/storage/storage.h"
#include "vault/tokens/token_vault.h"

namespace sejf::signer {

enum class VaultFindingKind {
  kOrphanKeyObject,
  kMissingKeyObject,
  kDestroyedKeyInHsm,
  kPendingKeyIntent,
  kUnreadableToken,
  kUnreadableDataKey,
  kMissingKek,
  kPendingKek,
  kRetiredKek,
  kUnrecordedKek,
};

// "orphan_key_object", "missing_key_object", … (the enum's name in snake
// case): what the CLI's JSON and the docs call it.
absl::string_view VaultFindingKindName(VaultFindingKind kind);

struct VaultFinding {
  VaultFindingKind kind = VaultFindingKind::kOrphanKeyObject;
  // What it is about: "keys/NAME", "tokens/NAME", "data-keys/ID", or an
  // HSM object as a PKCS#11 URI-like "object=LABEL;id=HEX".
  std::string subject = {};
  std::string detail = {};  // what was found
  std::string remedy = {};  // what to do about it
};

struct VaultCheckReport {
  std::int64_t keys_checked = 0;    // key records
  std::int64_t tokens_checked = 0;  // sealed token secrets opened
  std::int64_t hsm_objects = 0;     // key objects in the HSM token
  std::int64_t data_keys_checked = 0;
  std::vector<VaultFinding> findings = {};

  bool clean() const { return findings.empty(); }
};

class VaultChecker {
 public:
  // Every argument must outlive the checker.
  VaultChecker(hsm::KeyStore* keys, vault::Storage* storage,
               vault::Keyring* keyring, vault::TokenVault* tokens);

  // Runs every check. Errors: storage and HSM errors (UNAVAILABLE: try
  // again); what is inconsistent is a finding, not an error.
  absl::StatusOr<VaultCheckReport> Check() const;

 private:
  hsm::KeyStore* const keys_;
  vault::Storage* const storage_;
  vault::Keyring* const keyring_;
  vault::TokenVault* const tokens_;
};

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_CUSTODY_VAULT_CHECK_H_
