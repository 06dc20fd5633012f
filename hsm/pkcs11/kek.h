// The key-encryption key (KEK) in a PKCS#11 token, and wrapping data keys
// with it. Used by Pkcs11KeyStore; see KeyStore::WrapKey/UnwrapKey for the
// contract.
//
// The KEK is a token AES-256 secret key labelled e.g. "sejf-kek-v1":
// CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE=FALSE, CKA_WRAP and
// CKA_UNWRAP TRUE, CKA_ENCRYPT/DECRYPT/SIGN/VERIFY/DERIVE FALSE. It is
// generated in the token (C_GenerateKey, CKM_AES_KEY_GEN) by the first Wrap,
// found by label afterwards (also after restarts), and never created by
// Unwrap.
//
// Mechanism: CKM_AES_KEY_WRAP_PAD (RFC 5649), through C_WrapKey/C_UnwrapKey.
// SoftHSM2 2.6.1 offers it for wrap/unwrap only (pkcs11-tool -M: "wrap,
// unwrap", not encrypt/decrypt), and C_WrapKey/C_UnwrapKey of a secret key
// is the portable way to use a key-wrap mechanism on any module:
//
//   Wrap:   C_CreateObject  session CKO_SECRET_KEY, CKK_GENERIC_SECRET,
//                           CKA_VALUE = the 32 data-key bytes,
//                           CKA_EXTRACTABLE=TRUE (so it may be wrapped)
//           C_WrapKey       (CKM_AES_KEY_WRAP_PAD, KEK, that object) -> 40 B
//           C_DestroyObject that object
//   Unwrap: C_UnwrapKey     (CKM_AES_KEY_WRAP_PAD, KEK, 40 B) -> session
//                           CKK_GENERIC_SECRET, CKA_SENSITIVE=FALSE,
//                           CKA_EXTRACTABLE=TRUE
//           C_GetAttributeValue CKA_VALUE into zeroing memory (SecretBytes)
//           C_DestroyObject
//
// The data key is in host memory on both sides of this by design (the
// vault encrypts with it in-process); the HSM only ever holds it in a
// session object for the duration of one call. RFC 5649 checks integrity
// on unwrap, so an altered or foreign wrapped key is refused (DATA_LOSS).
// The wrapped bytes are the bare RFC 5649 output, interchangeable with
// OpenSSL's EVP_aes_256_wrap_pad under the same key.
//
// Thread-safety: thread-safe. The KEK's object handle is cached per session
// pool epoch (see session_pool.h) under a mutex.
#ifndef SEJF_HSM_PKCS11_KEK_H_
#define SEJF_HSM_PKCS11_KEK_H_

#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/secret.h"
#include "hsm/pkcs11/session_pool.h"

namespace sejf::hsm::pkcs11 {

inline constexpr char kDefaultKekLabel[] = "sejf-kek-v1";

// "pkcs11:token=<token_label>;object=<kek_label>;type=secret-key" (RFC 7512,
// labels percent-encoded as FormatPkcs11Uri does).
std::string FormatKekUri(absl::string_view token_label,
                         absl::string_view kek_label);

class KeyEncryptionKey {
 public:
  // `label`: the KEK's CKA_LABEL (not empty).
  explicit KeyEncryptionKey(std::string label);

  KeyEncryptionKey(const KeyEncryptionKey&) = delete;
  KeyEncryptionKey& operator=(const KeyEncryptionKey&) = delete;

  const std::string& label() const { return label_; }

  // As KeyStore::WrapKey, on `lease`. Creates the KEK if the token has none
  // and `create_if_missing`; otherwise FAILED_PRECONDITION naming the label
  // (KeyStore::WrapKeyWith).
  absl::StatusOr<std::string> Wrap(SessionPool::Lease& lease,
                                   const SecretBytes& data_key,
                                   bool create_if_missing = true);

  // Generates the KEK in the token (KeyStore::CreateKek) with CKA_ID `id`,
  // or a random one when `id` is empty. ALREADY_EXISTS when a secret key
  // with this label exists.
  absl::Status Create(SessionPool::Lease& lease, absl::string_view id = {});

  // Drops the cached handle (after the KEK was destroyed in the token).
  void Forget();

  // As KeyStore::UnwrapKey, on `lease`.
  absl::StatusOr<SecretBytes> Unwrap(SessionPool::Lease& lease,
                                     absl::string_view wrapped);

 private:
  // The KEK's handle: cached for lease.epoch(), else looked up by label,
  // else (if `create`) generated with CKA_ID `new_id` (random when empty).
  // NOT_FOUND when missing and !create; FAILED_PRECONDITION when several
  // secret keys carry the label.
  absl::StatusOr<CK_OBJECT_HANDLE> Handle(SessionPool::Lease& lease,
                                          bool create, bool* created = nullptr,
                                          absl::string_view new_id = {});

  // One attempt with a known handle. NOT_FOUND means the handle went
  // stale (the KEK may still exist).
  absl::StatusOr<std::string> WrapWith(SessionPool::Lease& lease,
                                       CK_OBJECT_HANDLE kek,
                                       const SecretBytes& data_key);
  absl::StatusOr<SecretBytes> UnwrapWith(SessionPool::Lease& lease,
                                         CK_OBJECT_HANDLE kek,
                                         absl::string_view wrapped);

  const std::string label_;
  absl::Mutex mu_;
  struct Cached {
    CK_OBJECT_HANDLE handle;
    std::uint64_t epoch;
  };
  std::optional<Cached> cached_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_KEK_H_
