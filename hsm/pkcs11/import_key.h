// The import key in a PKCS#11 token, and what is opened with it (used by
// Pkcs11KeyStore; the contract is KeyStore's ImportKeyPublicKey,
// DecryptWithImportKey and UnwrapKeyPairWithId, the formats are in
// common/import_wrap.h, the design in docs/import.md).
//
// The import key: C_GenerateKeyPair (CKM_RSA_PKCS_KEY_PAIR_GEN, 3072 bits,
// exponent 65537), both halves CKA_LABEL kImportKeyLabel and a random
// CKA_ID; the private half CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE,
// CKA_EXTRACTABLE=FALSE, CKA_DECRYPT and CKA_UNWRAP TRUE, CKA_SIGN=FALSE;
// the public half CKA_ENCRYPT and CKA_WRAP TRUE, CKA_VERIFY=FALSE.
//
// Mechanisms. SoftHSM2 2.6.1 offers CKM_RSA_PKCS_OAEP with SHA-1 only
// (SHA-256 parameters: CKR_ARGUMENTS_BAD) and no CKM_RSA_AES_KEY_WRAP, so
// the RSA private-key operation runs in the token as CKM_RSA_X_509 (raw
// RSA) and the OAEP decoding (SHA-256) in-process, in constant time
// (DecodeOaepSha256). For a wrapped key the OAEP output is the ephemeral
// AES-256 key K (in zeroing memory for the length of one call):
//
//   C_CreateObject  session CKO_SECRET_KEY CKK_AES, CKA_VALUE = K,
//                   CKA_UNWRAP only, sensitive, not extractable
//   C_UnwrapKey     (CKM_AES_KEY_WRAP_PAD, K, the RFC 5649 part) -> token
//                   CKO_PRIVATE_KEY (template as generated keys'), so the
//                   private key is decoded from PKCS#8 inside the token and
//                   never exists in sejfd's memory
//   C_DestroyObject K
//   C_CreateObject  the public half from the caller's SPKI
//
// Any failure after C_UnwrapKey destroys what was created.
//
// Several sejfd processes on one token may each make the key on first use
// at the same moment (the lock is per process): the public key published is
// then the complete one with the smallest CKA_ID, and decryption tries each
// import key, so nothing encrypted to either is refused. A pair another
// process is still generating (SoftHSM2 shows it before its key material)
// is waited for, up to 5 s, rather than published or doubled; what stays
// incomplete (a generator killed halfway) is passed over.
//
// Thread-safety: functions are thread-safe as far as the lease is used by
// one thread at a time; the caller serialises creating the import key.
#ifndef SEJF_HSM_PKCS11_IMPORT_KEY_H_
#define SEJF_HSM_PKCS11_IMPORT_KEY_H_

#include <p11-kit/pkcs11.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret.h"
#include "hsm/key_store.h"
#include "hsm/pkcs11/session_pool.h"

namespace sejf::hsm::pkcs11 {

// The import key's SPKI, generating the pair when the token has none.
absl::StatusOr<std::string> ImportKeySpkiOn(SessionPool::Lease& lease);

// KeyStore::DecryptWithImportKey on `lease`.
absl::StatusOr<SecretBytes> DecryptWithImportKeyOn(
    SessionPool::Lease& lease, absl::string_view ciphertext);

// KeyStore::UnwrapKeyPairWithId on `lease` (label and id are valid and not
// taken: the caller checked). Returns the key's algorithm.
absl::StatusOr<KeyAlgorithm> UnwrapKeyPairOn(SessionPool::Lease& lease,
                                             absl::string_view label,
                                             absl::string_view id,
                                             absl::string_view wrapped,
                                             absl::string_view public_key_der);

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_IMPORT_KEY_H_
