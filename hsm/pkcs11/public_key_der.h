// SubjectPublicKeyInfo DER from the public attributes of PKCS#11 keys, with
// OpenSSL 3's EVP_PKEY_fromdata (no deprecated EC_KEY/RSA calls).
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_HSM_PKCS11_PUBLIC_KEY_DER_H_
#define SEJF_HSM_PKCS11_PUBLIC_KEY_DER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::hsm::pkcs11 {

// The DER of the P-256 curve OID (1.2.840.10045.3.1.7) as CKA_EC_PARAMS
// holds it: 06 08 2a 86 48 ce 3d 03 01 07.
extern const absl::string_view kP256EcParams;

// SPKI of an EC public key. `ec_params` is CKA_EC_PARAMS (a DER OBJECT
// IDENTIFIER naming the curve; explicit parameters are not supported);
// `ec_point` is CKA_EC_POINT, either DER OCTET STRING-wrapped (PKCS#11
// 2.40, SoftHSM2) or the bare uncompressed point (some older modules).
// INVALID_ARGUMENT when the curve is unknown or the point is not on it.
absl::StatusOr<std::string> EcSpki(absl::string_view ec_params,
                                   absl::string_view ec_point);

// SPKI of an RSA public key from CKA_MODULUS and CKA_PUBLIC_EXPONENT
// (big-endian unsigned). INVALID_ARGUMENT when either is empty.
absl::StatusOr<std::string> RsaSpki(absl::string_view modulus,
                                    absl::string_view public_exponent);

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_PUBLIC_KEY_DER_H_
