// KeyStore on a PKCS#11 token (any module; SoftHSM2 by default).
//
//   ASSIGN_OR_RETURN(OpenedToken token, OpenToken(module, "sejf", pin_file));
//   ASSIGN_OR_RETURN(std::unique_ptr<Pkcs11KeyStore> store,
//                    Pkcs11KeyStore::Create(std::move(token)));
//
// Keys. GenerateKeyPair makes the pair in the token with raw
// C_GenerateKeyPair (libp11 0.4.12 cannot make EC keys): CKA_ID = 16 random
// bytes (GenerateKeyPairWithId: the caller's) and CKA_LABEL = the label on
// both halves; before creating, it checks that no private key has the label
// and no private or public key has the id; public half CKA_TOKEN,
// CKA_VERIFY, not private; private half CKA_TOKEN, CKA_PRIVATE,
// CKA_SENSITIVE=TRUE, CKA_EXTRACTABLE=FALSE, CKA_SIGN=TRUE, CKA_DERIVE=FALSE
// (RSA also CKA_DECRYPT, CKA_UNWRAP, CKA_SIGN_RECOVER = FALSE). EC keys with
// CKM_EC_KEY_PAIR_GEN on P-256; RSA with CKM_RSA_PKCS_KEY_PAIR_GEN, 2048
// bits, exponent 65537.
//
// Mechanisms (checked against SoftHSM2 2.6.1's mechanism list):
//   kEcdsaSha256     CKM_ECDSA over SHA-256(data) computed in-process.
//                    CKM_ECDSA_SHA256 is optional in PKCS#11 and SoftHSM2
//                    2.6.1 does not offer it; CKM_ECDSA is in every module,
//                    hashing costs ~1 us here, and only 32 bytes cross the
//                    PKCS#11 boundary (a network HSM sees no document).
//                    The output is already raw r||s.
//   kRsaPkcs1Sha256  CKM_SHA256_RSA_PKCS over the data.
//   kRsaPssSha256    CKM_SHA256_RSA_PKCS_PSS, {CKM_SHA256, CKG_MGF1_SHA256,
//                    sLen 32}, over the data.
//   KEK              CKM_AES_KEY_WRAP_PAD; see pkcs11/kek.h. Further KEKs
//                    (CreateKek, *KeyWith) are the same kind of object under
//                    other labels.
//
// Sessions and healing. Every call leases a session from a bounded
// SessionPool (pool options below). When a call fails with UNAVAILABLE
// (CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_USER_NOT_LOGGED_IN,
// CKR_DEVICE_ERROR, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, ... — see
// ck_rv.h) the store drops that session, resets the pool (closes idle
// sessions, re-finds the token's slot by label) and retries the call once on
// a fresh, logged-in session. While the token stays away calls answer
// UNAVAILABLE; once it is back they work again, without a restart. A stale
// object handle (the token logged out behind our back) is looked up again
// once; a session found logged out is logged in again.
//
// Hot path. Sign looks the private key's object handle up in a cache (per
// key id and pool epoch; filled by Generate/Find/the first Sign, emptied by
// Destroy) and then does C_SignInit + C_Sign: no attribute reads. The cache
// holds one small entry per key used; keys are few.
//
// Thread-safety: thread-safe. The store must outlive every call into it;
// destroying it closes its sessions (the token's login ends with the last
// session); the Module is finalised when its last user lets go of it.
#ifndef SEJF_HSM_PKCS11_PKCS11_KEY_STORE_H_
#define SEJF_HSM_PKCS11_PKCS11_KEY_STORE_H_

#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/openssl_ptr.h"
#include "hsm/key_store.h"
#include "hsm/pkcs11/kek.h"
#include "hsm/pkcs11/session_pool.h"
#include "hsm/token.h"

namespace sejf::hsm::pkcs11 {

struct Pkcs11KeyStoreOptions {
  SessionPoolOptions pool;                   // default 8 sessions
  std::string kek_label = kDefaultKekLabel;  // the KEK's CKA_LABEL
};

class Pkcs11KeyStore : public KeyStore {
 public:
  // A store on `token` (from OpenToken or EnsureSoftHsmToken; its user PIN
  // moves into the store's session pool). Opens and logs in one session to
  // check the token is usable. Errors: INVALID_ARGUMENT for bad options
  // (empty kek_label, max_sessions < 1); those of C_OpenSession/C_Login,
  // naming the token.
  static absl::StatusOr<std::unique_ptr<Pkcs11KeyStore>> Create(
      OpenedToken token, Pkcs11KeyStoreOptions options = {});

  ~Pkcs11KeyStore() override;

  absl::StatusOr<KeyRef> GenerateKeyPair(absl::string_view label,
                                         KeyAlgorithm algorithm) override;
  absl::StatusOr<KeyRef> FindKeyById(absl::string_view id) override;
  absl::StatusOr<KeyRef> FindKeyByLabel(absl::string_view label) override;
  absl::StatusOr<std::string> PublicKey(const KeyRef& key) override;
  absl::StatusOr<std::string> Sign(const KeyRef& key, SignatureScheme scheme,
                                   absl::string_view data) override;
  absl::Status Destroy(const KeyRef& key) override;
  absl::StatusOr<std::string> WrapKey(const SecretBytes& data_key) override;
  absl::StatusOr<SecretBytes> UnwrapKey(absl::string_view wrapped) override;
  std::string DefaultKekLabel() const override;
  std::string KekUri(absl::string_view kek_label) const override;
  absl::Status CreateKek(absl::string_view kek_label) override;
  absl::StatusOr<std::string> WrapKeyWith(absl::string_view kek_label,
                                          const SecretBytes& data_key) override;
  absl::StatusOr<SecretBytes> UnwrapKeyWith(absl::string_view kek_label,
                                            absl::string_view wrapped) override;
  // Data objects: see pkcs11/data_object.h.
  absl::StatusOr<std::optional<std::string>> ReadDataObject(
      absl::string_view label) override;
  absl::Status WriteDataObject(absl::string_view label,
                               absl::string_view value) override;
  absl::StatusOr<std::vector<KeyObject>> ListKeyObjects() override;
  // The import key: see pkcs11/import_key.h.
  absl::StatusOr<std::string> ImportKeyPublicKey() override;
  absl::StatusOr<SecretBytes> DecryptWithImportKey(
      absl::string_view ciphertext) override;
  absl::StatusOr<KeyRef> UnwrapKeyPairWithId(
      absl::string_view label, absl::string_view id, absl::string_view wrapped,
      absl::string_view public_key_der) override;

  // Keys and KEKs named by a caller-chosen id.
  absl::StatusOr<KeyRef> GenerateKeyPairWithId(absl::string_view label,
                                               absl::string_view id,
                                               KeyAlgorithm algorithm) override;
  absl::Status CreateKekWithId(absl::string_view kek_label,
                               absl::string_view id) override;
  absl::StatusOr<std::string> KekId(absl::string_view kek_label) override;
  absl::Status DestroyKek(absl::string_view kek_label,
                          absl::string_view id) override;

  const std::string& token_label() const { return token_label_; }
  // The session pool, for statistics (tests, metrics).
  const SessionPool& pool() const { return *pool_; }

 private:
  struct CachedKey {
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;  // the private key
    KeyAlgorithm algorithm = KeyAlgorithm::kEcP256;
    std::uint64_t epoch = 0;  // the pool epoch the handle was found in
  };

  using Sha256Ptr = OpenSslPtr<EVP_MD, EVP_MD_free>;

  Pkcs11KeyStore(std::shared_ptr<Module> module, std::string token_label,
                 std::unique_ptr<SessionPool> pool, std::string kek_label,
                 Sha256Ptr sha256);

  // Runs `op` on a leased session; on UNAVAILABLE drops the session, resets
  // the pool and runs it once more.
  template <typename T>
  absl::StatusOr<T> Run(
      absl::FunctionRef<absl::StatusOr<T>(SessionPool::Lease&)> op);

  // The private key with CKA_ID `id`: from the cache, else from the token.
  absl::StatusOr<CachedKey> ResolvePrivateKey(SessionPool::Lease& lease,
                                              absl::string_view id);
  void Remember(absl::string_view id, const CachedKey& key);
  void Forget(absl::string_view id);

  // The single private key matching `attribute` (CKA_ID or CKA_LABEL),
  // remembered in the cache. `description` names the search in errors.
  struct FoundKey {
    KeyRef ref;
    CachedKey cached;
  };
  absl::StatusOr<FoundKey> FindPrivateKey(SessionPool::Lease& lease,
                                          const CK_ATTRIBUTE& attribute,
                                          absl::string_view description);
  // ALREADY_EXISTS when a private key has `label`, or a key half has `id`
  // (a new pair, generated or unwrapped, may take neither).
  absl::Status CheckLabelAndIdFree(SessionPool::Lease& lease,
                                   absl::string_view label,
                                   absl::string_view id);
  absl::StatusOr<KeyRef> GenerateOn(SessionPool::Lease& lease,
                                    absl::string_view label,
                                    absl::string_view id,
                                    KeyAlgorithm algorithm);
  absl::StatusOr<std::string> SignOn(SessionPool::Lease& lease,
                                     const KeyRef& key, SignatureScheme scheme,
                                     absl::string_view input);

  const std::shared_ptr<Module> module_;
  const std::string token_label_;
  const std::unique_ptr<SessionPool> pool_;
  const Sha256Ptr sha256_;  // for ECDSA's digest
  KeyEncryptionKey kek_;    // the default KEK (options.kek_label)

  // The KEK labelled `label`: kek_, or one of keks_ (made on first use; the
  // object only caches a handle, the key itself is in the token).
  KeyEncryptionKey& KekFor(absl::string_view label);

  absl::Mutex keks_mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<KeyEncryptionKey>> keks_
      ABSL_GUARDED_BY(keks_mu_);

  absl::Mutex generate_mu_;    // serialises the label check and the creation
  absl::Mutex import_key_mu_;  // serialises creating the import key
  // Serialises data object reads and writes (a write takes three steps).
  absl::Mutex data_objects_mu_;
  absl::Mutex cache_mu_;
  absl::flat_hash_map<std::string, CachedKey> cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_PKCS11_KEY_STORE_H_
