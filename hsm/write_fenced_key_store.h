// A KeyStore whose state-changing calls can be held back for a moment, so
// that the token's objects can be copied while nothing writes them (`sejf
// backup`, vault/backup/vault_backup.h).
//
//   WriteFencedKeyStore fenced(pkcs11_store.get());
//   ...
//   ASSIGN_OR_RETURN(WriteFencedKeyStore::Freeze freeze,
//                    fenced.FreezeWrites(absl::Seconds(5)));
//   // no call that creates, changes or destroys an HSM object runs until
//   // `freeze` is destroyed; signing, unwrapping and lookups go on.
//
// The calls held back are those that may write the token: GenerateKeyPair
// (and …WithId), Destroy, WrapKey (its first call creates the default KEK),
// CreateKek (and …WithId), DestroyKek, WriteDataObject, ImportKeyPublicKey
// (its first call creates the import key pair) and UnwrapKeyPairWithId (an
// imported key becomes a token object). FreezeWrites
// holds back the writes that start from then on, waits for the ones running
// to return, and keeps holding back until the Freeze ends. A freeze whose
// running writes do not return within its timeout (a write hung in the HSM)
// answers UNAVAILABLE and lets the held-back writes go. One freeze at a
// time: a second FreezeWrites waits for the first to end.
//
// A KeyStore method added later that may write the token must be
// overridden here too (KeyStoreWrapper would forward it unfenced, and a
// backup could copy the token half-written).
//
// Place it directly over the device's store (under BoundedKeyStore), so a
// held-back call waits in the HSM worker, and a write that outlived its
// caller's deadline is still waited for by the freeze.
//
// Does not own `target`, which must outlive the wrapper.
// Thread-safety: thread-safe if the target is. A Freeze is move-only; destroy
// it on any thread, before the store.
#ifndef SEJF_HSM_WRITE_FENCED_KEY_STORE_H_
#define SEJF_HSM_WRITE_FENCED_KEY_STORE_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hsm/key_store.h"

namespace sejf::hsm {

class WriteFencedKeyStore : public KeyStoreWrapper {
 public:
  // Proof that no write runs; lets them go on when destroyed.
  class Freeze {
   public:
    Freeze(Freeze&& other) noexcept
        : store_(std::exchange(other.store_, nullptr)) {}
    Freeze& operator=(Freeze&&) = delete;
    Freeze(const Freeze&) = delete;
    Freeze& operator=(const Freeze&) = delete;
    ~Freeze();

   private:
    friend class WriteFencedKeyStore;
    explicit Freeze(WriteFencedKeyStore* store) : store_(store) {}
    WriteFencedKeyStore* store_;
  };

  explicit WriteFencedKeyStore(KeyStore* target) : KeyStoreWrapper(target) {}

  // Waits up to `timeout` for the writes running now to return, then holds
  // back every new one until the Freeze is destroyed. UNAVAILABLE (nothing
  // held back) when the running writes did not return in time.
  absl::StatusOr<Freeze> FreezeWrites(absl::Duration timeout);

  absl::StatusOr<KeyRef> GenerateKeyPair(absl::string_view label,
                                         KeyAlgorithm algorithm) override;
  absl::Status Destroy(const KeyRef& key) override;
  absl::StatusOr<std::string> WrapKey(const SecretBytes& data_key) override;
  absl::Status CreateKek(absl::string_view kek_label) override;
  absl::Status WriteDataObject(absl::string_view label,
                               absl::string_view value) override;
  absl::StatusOr<KeyRef> GenerateKeyPairWithId(absl::string_view label,
                                               absl::string_view id,
                                               KeyAlgorithm algorithm) override;
  absl::Status CreateKekWithId(absl::string_view kek_label,
                               absl::string_view id) override;
  absl::Status DestroyKek(absl::string_view kek_label,
                          absl::string_view id) override;
  absl::StatusOr<std::string> ImportKeyPublicKey() override;
  absl::StatusOr<KeyRef> UnwrapKeyPairWithId(
      absl::string_view label, absl::string_view id, absl::string_view wrapped,
      absl::string_view public_key_der) override;

 private:
  // Brackets a write: waits while frozen, counts the running ones.
  class Write {
   public:
    explicit Write(WriteFencedKeyStore* store);
    ~Write();
    Write(const Write&) = delete;
    Write& operator=(const Write&) = delete;

   private:
    WriteFencedKeyStore* store_;
  };
  void Thaw();

  absl::Mutex mu_;
  bool frozen_ ABSL_GUARDED_BY(mu_) = false;
  int running_writes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sejf::hsm

#endif  // SEJF_HSM_WRITE_FENCED_KEY_STORE_H_
