// vault::Keyring: the versioned data-encryption keys (DEKs) that seal
// records, kept in vault::Storage wrapped by the HSM's key-encryption key.
//
// Each DEK is 32 random bytes used as an XChaCha20-Poly1305-IETF key
// (xchacha20_poly1305_aead.h), identified by a number: 1 for the first,
// +1 for each rotation. New seals use the current (newest) DEK; older DEKs
// stay to open what they sealed (the token vault re-seals old records in the
// background after a rotation, see vault/tokens/token_vault.h).
//
// Stored as one record, kind kKeyringKind, name kKeyringRecordName, a JSON
// object (unknown members ignored on read):
//
//   {"format":1,
//    "kek_label":"sejf-kek-v1",     the HSM KEK that wrapped every DEK
//    "kek_id":"<hex CKA_ID>",       its id (absent in older records)
//    "pending_kek":{"label":…,"id":"<hex>"},   a KEK being introduced by
//                                   RotateKek (absent otherwise)
//    "retired_keks":[{"label":…,"id":"<hex>"}, …],  old KEKs nothing is
//                                   wrapped under, to be destroyed (absent
//                                   when none; see RotateKek)
//    "current":2,                   the DEK id new seals use
//    "keys":[{"id":1, "wrapped":"<Base64 of the 40-byte RFC 5649 output of
//             hsm::KeyStore::WrapKeyWith>", "create_time_us":<unix µs>}, …]}
//
// Open reads the record and unwraps every DEK through the HSM (one unwrap
// per DEK, not per token: start-up cost does not grow with the number of
// tokens) into guarded, locked sodium_malloc memory. On the very first
// start (no record) it makes DEK 1 and wraps it with the store's default KEK
// (hsm::KeyStore::WrapKey, which creates that KEK on first use).
//
// Several processes may share one storage (replicas, docs/replicas.md): all
// changes are read-modify-write in one read-write transaction, and a DEK id
// this process does not know yet (another process rotated) makes Get reload
// the record once. Refresh takes up another process's rotation before this
// one seals (one point read; the record is parsed and new DEKs unwrapped
// only when its version changed), so new seals use the newest DEK and
// Info() tells the truth on every replica. A load that fails because another
// process rotated the KEK (and destroyed the old one) after this one read the
// record reads the record again.
//
// Thread-safety: thread-safe. Rotate and RotateKek are serialised.
#ifndef SEJF_VAULT_CRYPTO_KEYRING_H_
#define SEJF_VAULT_CRYPTO_KEYRING_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "hsm/key_store.h"
#include "vault/crypto/aead.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

inline constexpr absl::string_view kKeyringKind = "keyring";
inline constexpr absl::string_view kKeyringRecordName = "data-keys";

// A snapshot of the keyring's public facts (vault status).
struct KeyringInfo {
  std::uint32_t current_id = 0;
  std::int64_t key_count = 0;
  std::string kek_label = {};
  std::string kek_uri = {};  // RFC 7512, from hsm::KeyStore::KekUri
};

// A KEK as the keyring record names it.
struct KeyringKek {
  std::string label = {};
  std::string id = {};  // binary CKA_ID; empty in records from before ids
};

// What the stored keyring record says (for `sejf vault check`).
struct KeyringRecordFacts {
  KeyringKek current_kek = {};
  std::optional<KeyringKek> pending_kek = std::nullopt;
  std::vector<KeyringKek> retired_keks = {};
  std::vector<std::uint32_t> data_key_ids = {};
};

class Keyring {
 public:
  // Loads (or on first start creates) the keyring. `storage`, `keys` and
  // `clock` must outlive the keyring. Errors: those of storage and HSM
  // (UNAVAILABLE: try again); DATA_LOSS when the record is damaged or a DEK
  // does not unwrap (the wrong HSM token, or an altered record);
  // FAILED_PRECONDITION when the HSM has no KEK of the recorded label.
  static absl::StatusOr<std::unique_ptr<Keyring>> Open(Storage* storage,
                                                       hsm::KeyStore* keys,
                                                       const Clock* clock);

  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;
  ~Keyring();

  // The current DEK's id and AEAD (for sealing).
  std::pair<std::uint32_t, std::shared_ptr<const Aead>> Current() const;

  // The AEAD of DEK `id`. When this process does not hold it, reloads the
  // record once (another process may have rotated); NOT_FOUND when the
  // keyring has no such DEK even then.
  absl::StatusOr<std::shared_ptr<const Aead>> Get(std::uint32_t id);

  KeyringInfo Info() const;

  // Makes a new DEK (id = highest + 1), wrapped by the current KEK, and
  // makes it current for new seals. Returns its id. Older DEKs stay.
  // Errors: storage and HSM errors; nothing changes on failure.
  absl::StatusOr<std::uint32_t> Rotate() ABSL_LOCKS_EXCLUDED(rotate_mu_);

  // Creates a new KEK in the HSM (label: the current one with its "-vN"
  // suffix incremented, e.g. sejf-kek-v1 -> sejf-kek-v2; "-v2" appended when
  // there is none; a label already taken in the HSM by an object the
  // keyring did not record is skipped and left alone) and re-wraps every
  // DEK under it. The DEKs themselves, and so every sealed record, are
  // unchanged. Returns the new KEK's URI. Then the old KEK, which nothing
  // depends on any more, is destroyed in the HSM (RetireKeks).
  //
  // Crash safety, step by step: (1) the new KEK's label and a random CKA_ID
  // are recorded as "pending_kek"; (2) the KEK is created with that id;
  // (3) one transaction stores the re-wrapped DEKs, makes the new KEK
  // current and lists the old one (label + id) under "retired_keks";
  // (4) retired KEKs are destroyed by label AND id, then dropped from the
  // list. A crash before (3) leaves the old KEK current and the pending one
  // unused: the next rotation retires it. A crash after (3) leaves retired
  // KEKs that the next start or rotation destroys. A KEK is destroyed only
  // once no stored DEK is wrapped under it, so the token holds at most the
  // current KEK plus those whose removal failed (the HSM away).
  // Errors: storage and HSM errors before (3) commits (nothing then depends
  // on the new KEK); ABORTED when another process rotated meanwhile.
  absl::StatusOr<std::string> RotateKek() ABSL_LOCKS_EXCLUDED(rotate_mu_);

  // Destroys, in the HSM, the KEKs the record lists as retired (each by its
  // recorded label AND CKA_ID, never by label alone) and drops them from
  // the record; one already gone counts as destroyed. Done by RotateKek and
  // Open; callers rarely need it. Errors: the first failure (the others are
  // still tried; what failed stays listed for the next call).
  absl::Status RetireKeks();

  // The stored record's facts, read afresh. Errors: storage errors;
  // DATA_LOSS when the record is gone or damaged.
  absl::StatusOr<KeyringRecordFacts> RecordFacts() const;

  // Reads the record again and takes up DEKs and KEK changes other
  // processes made. Done by Get on an unknown id; callers rarely need it.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(rotate_mu_);

  // Reload, but only when the stored record's version is not the one this
  // process last loaded or wrote (one point read otherwise). Callers that
  // seal or report (the token vault) call it first. Errors: storage errors,
  // those of Reload.
  absl::Status Refresh() ABSL_LOCKS_EXCLUDED(rotate_mu_);

 private:
  Keyring(Storage* storage, hsm::KeyStore* keys, const Clock* clock);

  struct PendingKek {
    std::string label;
    std::string id;  // binary CKA_ID
  };
  // RotateKek's first step: records the next KEK (label after `after`, or
  // after the current one when empty; fresh random id) as pending, moving a
  // pending KEK left by an earlier rotation to the retired list.
  absl::StatusOr<PendingKek> RecordPendingKek(absl::string_view after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(rotate_mu_);

  // Takes the decoded record `data` into memory: unwraps DEKs not held yet.
  absl::Status Load(absl::string_view data) ABSL_LOCKS_EXCLUDED(mu_);
  // Load(record.data); when that fails and the stored record has changed
  // since `record` was read (another process rotated the KEK and destroyed
  // the one `record` names), loads the stored one instead, up to
  // kMaxLoadAttempts reads in all. Otherwise Load's error.
  absl::Status LoadLatest(Record record) ABSL_LOCKS_EXCLUDED(mu_);
  static constexpr int kMaxLoadAttempts = 3;

  Storage* const storage_;
  hsm::KeyStore* const keys_;
  const Clock* const clock_;

  // Serialises Rotate, RotateKek and Reload; taken before mu_.
  absl::Mutex rotate_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::uint32_t current_ ABSL_GUARDED_BY(mu_) = 0;
  std::string kek_label_ ABSL_GUARDED_BY(mu_);
  // The storage version of the record last loaded or written here (0: not
  // known, e.g. after RotateKek or RetireKeks: the next Refresh reloads).
  std::int64_t loaded_version_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::uint32_t, std::shared_ptr<const Aead>> aeads_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_CRYPTO_KEYRING_H_
