// hsm::KeyStore: where sejf's private keys and its key-encryption key live.
//
// The production implementation is pkcs11::Pkcs11KeyStore (any PKCS#11
// module; SoftHSM2 by default); testing::FakeKeyStore keeps OpenSSL keys in
// memory for unit tests; FaultyKeyStore wraps either to inject device errors.
// One contract suite (key_store_contract_test.cc) runs against each, so what
// is written here holds for all of them.
//
//   ASSIGN_OR_RETURN(KeyRef key, store.GenerateKeyPair("acme-auth",
//                                                      KeyAlgorithm::kEcP256));
//   ASSIGN_OR_RETURN(std::string spki, store.PublicKey(key));
//   ASSIGN_OR_RETURN(std::string sig, store.Sign(key,
//                        SignatureScheme::kEcdsaSha256, signed_info));
//
// Signing keys never leave the store: there is no call that returns private
// key material. The key-encryption key (KEK) wraps the vault's 32-byte data
// keys; wrapped keys are stored by the caller, the KEK stays in the store.
// The wrapped format is the bare output of RFC 5649 (AES-256 key wrap with
// padding, PKCS#11 CKM_AES_KEY_WRAP_PAD) in every implementation: 40 bytes
// for a 32-byte key, integrity-checked on unwrap, no header. How the PKCS#11
// store gets RFC 5649 out of a token is described in pkcs11/kek.h.
//
// Thread-safety: every implementation is thread-safe; all methods may be
// called concurrently from any thread.
#ifndef SEJF_HSM_KEY_STORE_H_
#define SEJF_HSM_KEY_STORE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret.h"
#include "hsm/signature_scheme.h"

namespace sejf::hsm {

enum class KeyAlgorithm {
  kEcP256,   // ECDSA on NIST P-256 (prime256v1); what KSeF issues
  kRsa2048,  // RSA, 2048-bit modulus, public exponent 65537
};

// "ec-p256", "rsa-2048". (SignatureScheme and its names:
// hsm/signature_scheme.h.)
absl::string_view KeyAlgorithmName(KeyAlgorithm algorithm);

// Whether `scheme` can be made with a key of `algorithm`: ECDSA with EC keys,
// the two RSA schemes with RSA keys.
bool SchemeFitsAlgorithm(SignatureScheme scheme, KeyAlgorithm algorithm);

// Checks a key label (the PKCS#11 CKA_LABEL of both halves of the pair):
// 1 to kMaxKeyLabelSize bytes, no control characters. INVALID_ARGUMENT
// naming the rule otherwise. (The stricter naming rules for keys — lower
// case, etc. — are the caller's; the store only needs a label it can find
// again.)
inline constexpr std::size_t kMaxKeyLabelSize = 128;
absl::Status ValidateKeyLabel(absl::string_view label);

// The size of the key ids the stores generate (random bytes, CKA_ID).
inline constexpr std::size_t kKeyIdSize = 16;

// Checks a caller-chosen key id (the *WithId calls): exactly kKeyIdSize
// bytes. INVALID_ARGUMENT otherwise.
absl::Status ValidateKeyId(absl::string_view id);

// The size of the data keys WrapKey/UnwrapKey handle, and of what WrapKey
// returns for them (RFC 5649 AES key wrap with padding: 32 + 8 bytes).
inline constexpr std::size_t kDataKeySize = 32;
inline constexpr std::size_t kWrappedDataKeySize = 40;

// The largest value WriteDataObject takes.
inline constexpr std::size_t kMaxDataObjectSize = 4096;

// What WriteDataObject accepts: a valid label (ValidateKeyLabel) and a value
// of at most kMaxDataObjectSize bytes. INVALID_ARGUMENT naming the rule.
absl::Status ValidateDataObject(absl::string_view label,
                                absl::string_view value);

// A key pair in a store. Plain value, cheap to copy; obtained from
// GenerateKeyPair or FindKeyBy*, and valid until the key is destroyed.
struct KeyRef {
  std::string id;     // the CKA_ID: kKeyIdSize random bytes (binary)
  std::string label;  // the CKA_LABEL: the key's name
  KeyAlgorithm algorithm = KeyAlgorithm::kEcP256;
  std::string uri;  // RFC 7512: pkcs11:token=..;object=..;id=..;type=private

  friend bool operator==(const KeyRef&, const KeyRef&) = default;
};

// A key object in a store as ListKeyObjects reports it.
enum class KeyObjectClass {
  kPrivateKey,  // the private half of a key pair
  kPublicKey,   // the public half of a key pair
  kSecretKey,   // a KEK
};

struct KeyObject {
  KeyObjectClass object_class = KeyObjectClass::kPrivateKey;
  std::string label = {};  // CKA_LABEL (empty when the object has none)
  std::string id = {};     // CKA_ID, binary (empty when the object has none)

  friend bool operator==(const KeyObject&, const KeyObject&) = default;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Generates a key pair labelled `label` with a fresh random id. The private
  // key is created sensitive and never extractable, usable for signing only.
  // Errors: INVALID_ARGUMENT for a bad label (ValidateKeyLabel);
  // ALREADY_EXISTS when a private key with that label exists (labels are
  // unique in a store; checked under a lock within this process, not against
  // other processes using the same token); UNAVAILABLE when the device is
  // away (an UNAVAILABLE generate may still have created the key: look it up
  // by label before trying again).
  virtual absl::StatusOr<KeyRef> GenerateKeyPair(absl::string_view label,
                                                 KeyAlgorithm algorithm) = 0;

  // Looks up an existing key pair, e.g. after a restart, by its id (binary
  // CKA_ID) or its label. Errors: NOT_FOUND when there is none;
  // FAILED_PRECONDITION when several private keys match, or the key is not
  // one of the KeyAlgorithm kinds (e.g. RSA-4096 made by another tool);
  // UNAVAILABLE when the device is away.
  virtual absl::StatusOr<KeyRef> FindKeyById(absl::string_view id) = 0;
  virtual absl::StatusOr<KeyRef> FindKeyByLabel(absl::string_view label) = 0;

  // The public key as DER SubjectPublicKeyInfo (RFC 5280): id-ecPublicKey
  // with the named curve and an uncompressed point, or rsaEncryption.
  // Errors: NOT_FOUND when the key (or its public half) is gone; UNAVAILABLE.
  virtual absl::StatusOr<std::string> PublicKey(const KeyRef& key) = 0;

  // Signs `data` (the message itself, not a digest: the store hashes it with
  // SHA-256 as the scheme says) with the private key `key.id` names. The
  // key's real type is what counts, not `key.algorithm`.
  // Errors: INVALID_ARGUMENT when `scheme` does not fit the key (e.g. PSS
  // with an EC key), naming both; NOT_FOUND when the key is gone;
  // UNAVAILABLE when the device is away.
  virtual absl::StatusOr<std::string> Sign(const KeyRef& key,
                                           SignatureScheme scheme,
                                           absl::string_view data) = 0;

  // Removes both halves of the key pair named by `key.id`. Afterwards Sign,
  // PublicKey and FindKeyBy* answer NOT_FOUND for it. Errors: NOT_FOUND when
  // neither half exists; UNAVAILABLE (the key may be partly destroyed:
  // calling Destroy again finishes the job).
  virtual absl::Status Destroy(const KeyRef& key) = 0;

  // Wraps a kDataKeySize-byte data key under the store's KEK and returns the
  // kWrappedDataKeySize wrapped bytes to store. The first WrapKey of a store
  // creates the KEK if it does not exist yet; it persists (in the HSM) for
  // later runs. Not secret, but bound to this KEK: only this store's KEK
  // unwraps it. Errors: INVALID_ARGUMENT for a data key of another size;
  // UNAVAILABLE.
  virtual absl::StatusOr<std::string> WrapKey(const SecretBytes& data_key) = 0;

  // The data key back from WrapKey's output, in zeroing memory.
  // Errors: INVALID_ARGUMENT when `wrapped` is not kWrappedDataKeySize bytes;
  // DATA_LOSS when it does not unwrap under the KEK (altered, or wrapped
  // under another KEK); FAILED_PRECONDITION when the store has no KEK (no
  // WrapKey ever ran on this token: a wrong token?); UNAVAILABLE.
  virtual absl::StatusOr<SecretBytes> UnwrapKey(absl::string_view wrapped) = 0;

  // Versioned KEKs, for KEK rotation. A store may hold several KEKs, each
  // named by a label (ValidateKeyLabel); WrapKey/UnwrapKey above use the
  // store's default one, whose label DefaultKekLabel() returns. A caller that
  // rotates KEKs records which label wrapped what (the vault keyring does)
  // and names it here. Wrapped bytes have the format described above.

  // The label of the KEK WrapKey/UnwrapKey use (it may not exist yet).
  virtual std::string DefaultKekLabel() const = 0;

  // RFC 7512 URI naming the KEK labelled `kek_label` in this store
  // ("pkcs11:token=…;object=<label>;type=secret-key"); made from the labels
  // alone, whether or not the KEK exists.
  virtual std::string KekUri(absl::string_view kek_label) const = 0;

  // Creates a new KEK labelled `kek_label` (as WrapKey creates the default
  // one). Errors: INVALID_ARGUMENT for a bad label; ALREADY_EXISTS when a KEK
  // with that label exists; UNAVAILABLE.
  virtual absl::Status CreateKek(absl::string_view kek_label) = 0;

  // As WrapKey/UnwrapKey with the KEK labelled `kek_label`, which must exist
  // (never created here): FAILED_PRECONDITION naming the label otherwise.
  virtual absl::StatusOr<std::string> WrapKeyWith(
      absl::string_view kek_label, const SecretBytes& data_key) = 0;
  virtual absl::StatusOr<SecretBytes> UnwrapKeyWith(
      absl::string_view kek_label, absl::string_view wrapped) = 0;

  // --- Keys and KEKs named by a caller-chosen id (key custody, issue 11) ---
  // Callers that must never destroy an object they did not create (custody
  // keys, retired KEKs) choose the CKA_ID themselves, record it durably
  // before the object exists, and later destroy only an object carrying
  // exactly that id. Ids are kKeyIdSize bytes (RandomBytes(kKeyIdSize)).

  // As GenerateKeyPair, with CKA_ID `id` instead of a fresh random one.
  // Errors: INVALID_ARGUMENT for a bad label or an id that is not
  // kKeyIdSize bytes; ALREADY_EXISTS when a private key labelled `label`, or
  // any key object with CKA_ID `id`, exists (nothing is created or touched);
  // UNAVAILABLE (the key may still have been created, with that id).
  virtual absl::StatusOr<KeyRef> GenerateKeyPairWithId(
      absl::string_view label, absl::string_view id,
      KeyAlgorithm algorithm) = 0;

  // As CreateKek, with CKA_ID `id`. Errors: INVALID_ARGUMENT for a bad label
  // or id; ALREADY_EXISTS when a KEK labelled `kek_label` exists; UNAVAILABLE.
  virtual absl::Status CreateKekWithId(absl::string_view kek_label,
                                       absl::string_view id) = 0;

  // The CKA_ID of the KEK labelled `kek_label`. Errors: NOT_FOUND when there
  // is none; FAILED_PRECONDITION when several secret keys carry the label;
  // UNAVAILABLE.
  virtual absl::StatusOr<std::string> KekId(absl::string_view kek_label) = 0;

  // Destroys the KEK that carries both `kek_label` and CKA_ID `id`; an
  // object with that label and another id (or that id and another label) is
  // never touched. Whatever it wrapped can no longer be unwrapped. Errors:
  // INVALID_ARGUMENT for a bad label or an empty id; NOT_FOUND when no such
  // KEK exists (e.g. already destroyed); UNAVAILABLE (call again).
  virtual absl::Status DestroyKek(absl::string_view kek_label,
                                  absl::string_view id) = 0;

  // Data objects: small non-secret values the store keeps for sejf where
  // only sejf can change them (the audit log's anchor,
  // vault/audit/audit_anchor.h). Each is named by a label
  // (ValidateKeyLabel) and holds up to kMaxDataObjectSize bytes. The PKCS#11
  // store keeps them as private token objects (pkcs11/data_object.h): only a
  // session logged in with the user PIN reads or writes them.

  // The value stored under `label`; nullopt when there is none.
  // Errors: INVALID_ARGUMENT for a bad label; FAILED_PRECONDITION when the
  // token holds several objects with that label; UNAVAILABLE.
  virtual absl::StatusOr<std::optional<std::string>> ReadDataObject(
      absl::string_view label) = 0;

  // Creates the object labelled `label` or replaces its value; a later
  // ReadDataObject (in this or a later process) returns `value`.
  // Errors: INVALID_ARGUMENT for a bad label or a value over
  // kMaxDataObjectSize; FAILED_PRECONDITION as ReadDataObject; UNAVAILABLE
  // (the old or the new value may be stored).
  virtual absl::Status WriteDataObject(absl::string_view label,
                                       absl::string_view value) = 0;

  // Every key object the store holds (private and public halves of key
  // pairs, secret keys), whoever made it, in no particular order; data
  // objects are not listed. For consistency checks (`sejf vault check`):
  // nothing here is used to find a key to sign or unwrap with.
  // Errors: UNAVAILABLE.
  virtual absl::StatusOr<std::vector<KeyObject>> ListKeyObjects() = 0;

  // --- The import key (issue 15; formats in common/import_wrap.h) ---
  // An RSA-3072 key pair labelled kImportKeyLabel: the private half
  // sensitive, never extractable, CKA_DECRYPT and CKA_UNWRAP only. Clients
  // encrypt tokens and wrap private keys to it; what they send is opened
  // only here. A store that has none answers UNIMPLEMENTED (the defaults).

  // The import key's public half (DER SubjectPublicKeyInfo), creating the
  // pair on first use (it persists in the HSM). Errors: UNAVAILABLE;
  // FAILED_PRECONDITION when several objects carry the label.
  virtual absl::StatusOr<std::string> ImportKeyPublicKey();

  // The plaintext of an RSA-OAEP-SHA256 ciphertext to the import key (see
  // EncryptToImportKey), in zeroing memory. Errors: INVALID_ARGUMENT when it
  // does not decrypt (one message whatever the defect); FAILED_PRECONDITION
  // when the import key does not exist; UNAVAILABLE.
  virtual absl::StatusOr<SecretBytes> DecryptWithImportKey(
      absl::string_view ciphertext);

  // Unwraps `wrapped` (WrapForImport's layout) into a private key object
  // labelled `label` with CKA_ID `id` (sensitive, never extractable, sign
  // only, like GenerateKeyPairWithId's) and creates its public half from
  // `public_key_der` (the SPKI the caller expects: same label and id). The
  // private key is never in host memory in the PKCS#11 store. Whether the
  // two halves match is the caller's to check (a test signature): on
  // mismatch, Destroy. Errors: INVALID_ARGUMENT when `wrapped` does not
  // unwrap or the key is not one of the KeyAlgorithm kinds (nothing is left
  // behind); ALREADY_EXISTS as GenerateKeyPairWithId; FAILED_PRECONDITION
  // when there is no import key; UNAVAILABLE (objects with `id` may exist:
  // Destroy them).
  virtual absl::StatusOr<KeyRef> UnwrapKeyPairWithId(
      absl::string_view label, absl::string_view id, absl::string_view wrapped,
      absl::string_view public_key_der);
};

// The CKA_LABEL of the import key pair (both halves).
inline constexpr char kImportKeyLabel[] = "sejf-import/1";

// A KeyStore that forwards every call to another one (after leveldb's
// EnvWrapper): derive from it and override what should behave differently.
// Does not own `target`, which must outlive the wrapper.
// Thread-safety: as thread-safe as the target.
class KeyStoreWrapper : public KeyStore {
 public:
  explicit KeyStoreWrapper(KeyStore* target) : target_(target) {}

  KeyStore* target() const { return target_; }

  absl::StatusOr<KeyRef> GenerateKeyPair(absl::string_view label,
                                         KeyAlgorithm algorithm) override {
    return target_->GenerateKeyPair(label, algorithm);
  }
  absl::StatusOr<KeyRef> FindKeyById(absl::string_view id) override {
    return target_->FindKeyById(id);
  }
  absl::StatusOr<KeyRef> FindKeyByLabel(absl::string_view label) override {
    return target_->FindKeyByLabel(label);
  }
  absl::StatusOr<std::string> PublicKey(const KeyRef& key) override {
    return target_->PublicKey(key);
  }
  absl::StatusOr<std::string> Sign(const KeyRef& key, SignatureScheme scheme,
                                   absl::string_view data) override {
    return target_->Sign(key, scheme, data);
  }
  absl::Status Destroy(const KeyRef& key) override {
    return target_->Destroy(key);
  }
  absl::StatusOr<std::string> WrapKey(const SecretBytes& data_key) override {
    return target_->WrapKey(data_key);
  }
  absl::StatusOr<SecretBytes> UnwrapKey(absl::string_view wrapped) override {
    return target_->UnwrapKey(wrapped);
  }
  std::string DefaultKekLabel() const override {
    return target_->DefaultKekLabel();
  }
  std::string KekUri(absl::string_view kek_label) const override {
    return target_->KekUri(kek_label);
  }
  absl::Status CreateKek(absl::string_view kek_label) override {
    return target_->CreateKek(kek_label);
  }
  absl::StatusOr<std::string> WrapKeyWith(
      absl::string_view kek_label, const SecretBytes& data_key) override {
    return target_->WrapKeyWith(kek_label, data_key);
  }
  absl::StatusOr<SecretBytes> UnwrapKeyWith(
      absl::string_view kek_label, absl::string_view wrapped) override {
    return target_->UnwrapKeyWith(kek_label, wrapped);
  }
  absl::StatusOr<std::optional<std::string>> ReadDataObject(
      absl::string_view label) override {
    return target_->ReadDataObject(label);
  }
  absl::Status WriteDataObject(absl::string_view label,
                               absl::string_view value) override {
    return target_->WriteDataObject(label, value);
  }
  absl::StatusOr<std::vector<KeyObject>> ListKeyObjects() override {
    return target_->ListKeyObjects();
  }
  absl::StatusOr<std::string> ImportKeyPublicKey() override {
    return target_->ImportKeyPublicKey();
  }
  absl::StatusOr<SecretBytes> DecryptWithImportKey(
      absl::string_view ciphertext) override {
    return target_->DecryptWithImportKey(ciphertext);
  }
  absl::StatusOr<KeyRef> UnwrapKeyPairWithId(
      absl::string_view label, absl::string_view id, absl::string_view wrapped,
      absl::string_view public_key_der) override {
    return target_->UnwrapKeyPairWithId(label, id, wrapped, public_key_der);
  }

  // Keys and KEKs named by a caller-chosen id.
  absl::StatusOr<KeyRef> GenerateKeyPairWithId(
      absl::string_view label, absl::string_view id,
      KeyAlgorithm algorithm) override {
    return target_->GenerateKeyPairWithId(label, id, algorithm);
  }
  absl::Status CreateKekWithId(absl::string_view kek_label,
                               absl::string_view id) override {
    return target_->CreateKekWithId(kek_label, id);
  }
  absl::StatusOr<std::string> KekId(absl::string_view kek_label) override {
    return target_->KekId(kek_label);
  }
  absl::Status DestroyKek(absl::string_view kek_label,
                          absl::string_view id) override {
    return target_->DestroyKek(kek_label, id);
  }

 private:
  KeyStore* const target_;
};

}  // namespace sejf::hsm

#endif  // SEJF_HSM_KEY_STORE_H_
