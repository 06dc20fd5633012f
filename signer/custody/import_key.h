// sejfd's import key as the domain sees it (issue 15, docs/import.md): the
// public half clients encrypt tokens and wrap private keys to, and opening
// an encrypted secret inside the HSM. Formats: common/import_wrap.h; the
// key itself: hsm::KeyStore::ImportKeyPublicKey.
//
//   ASSIGN_OR_RETURN(ImportKeyInfo info, import_key.Get());
//   ASSIGN_OR_RETURN(SecretBytes token,
//                    import_key.Open(request.encrypted_secret(),
//                                    "encrypted_secret"));
//
// Thread-safety: thread-safe.
#ifndef SEJF_SIGNER_CUSTODY_IMPORT_KEY_H_
#define SEJF_SIGNER_CUSTODY_IMPORT_KEY_H_

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/secret.h"
#include "hsm/key_store.h"

namespace sejf::signer {

struct ImportKeyInfo {
  std::string spki_der;     // DER SubjectPublicKeyInfo, RSA-3072
  std::string spki_pem;     // the same as "PUBLIC KEY" PEM
  std::string fingerprint;  // ImportKeyFingerprint(spki_der): 64 hex digits
};

// The one name of how secrets are encrypted to the import key, for clients.
inline constexpr absl::string_view kImportKeyScheme =
    "rsa-3072 rsaes-oaep-sha256; keys: CKM_RSA_AES_KEY_WRAP layout "
    "(oaep(aes-256) || rfc5649(pkcs8))";

class ImportKey {
 public:
  // `keys` must outlive this object.
  explicit ImportKey(hsm::KeyStore* keys) : keys_(keys) {}

  // The import key, created in the HSM on first use (kept there); later
  // calls answer from memory. Errors: the key store's (UNAVAILABLE, ...).
  absl::StatusOr<ImportKeyInfo> Get();

  // The plaintext of `ciphertext` (RSA-OAEP-SHA256 to the import key),
  // decrypted in the HSM, in zeroing memory. INVALID_ARGUMENT tagged with
  // `field` (common/status_context.h) when it does not decrypt; the key
  // store's other errors.
  absl::StatusOr<SecretBytes> Open(absl::string_view ciphertext,
                                   absl::string_view field);

 private:
  hsm::KeyStore* const keys_;
  absl::Mutex mu_;
  std::optional<ImportKeyInfo> cached_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_CUSTODY_IMPORT_KEY_H_
