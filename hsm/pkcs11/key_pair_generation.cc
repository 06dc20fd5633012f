#include "hsm/pkcs11/key_pair_generation.h"

#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/ck_rv.h"
#include "hsm/pkcs11/objects.h"
#include "hsm/pkcs11/public_key_der.h"

namespace sejf::hsm::pkcs11 {

absl::Status GenerateTokenKeyPair(SessionPool::Lease& lease,
                                  CK_MECHANISM mechanism,
                                  std::vector<CK_ATTRIBUTE>& public_template,
                                  std::vector<CK_ATTRIBUTE>& private_template,
                                  absl::string_view id, absl::string_view what,
                                  GeneratedKeyPair& pair) {
  CK_RV rv = CKR_GENERAL_ERROR;
  for (int attempt = 0; attempt < kGenerateAttempts; ++attempt) {
    if (attempt > 0) {
      absl::SleepFor(absl::Milliseconds(20 * attempt));
      ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> debris,
                       FindObjects(lease, {BytesAttribute(CKA_ID, id)}));
      for (CK_OBJECT_HANDLE object : debris) {
        RETURN_IF_ERROR(DestroyObject(lease, object));
      }
    }
    rv = lease.functions().C_GenerateKeyPair(
        lease.handle(), &mechanism, public_template.data(),
        static_cast<CK_ULONG>(public_template.size()), private_template.data(),
        static_cast<CK_ULONG>(private_template.size()), &pair.public_key,
        &pair.private_key);
    if (rv != CKR_GENERAL_ERROR) break;
  }
  return CkRvToStatus(rv, what);
}

absl::StatusOr<GeneratedKeyPair> GenerateKeyPairInToken(
    SessionPool::Lease& lease, absl::string_view label, absl::string_view id,
    KeyAlgorithm algorithm) {
  const bool rsa = algorithm == KeyAlgorithm::kRsa2048;
  const CK_ULONG modulus_bits = 2048;
  static constexpr char kExponent65537[] = "\x01\x00\x01";
  const absl::string_view exponent(kExponent65537, 3);

  std::vector<CK_ATTRIBUTE> public_template = {
      BytesAttribute(CKA_LABEL, label), BytesAttribute(CKA_ID, id),
      BoolAttribute(CKA_TOKEN, true),   BoolAttribute(CKA_PRIVATE, false),
      BoolAttribute(CKA_VERIFY, true),  BoolAttribute(CKA_ENCRYPT, false),
      BoolAttribute(CKA_WRAP, false),   BoolAttribute(CKA_DERIVE, false),
  };
  std::vector<CK_ATTRIBUTE> private_template = {
      BytesAttribute(CKA_LABEL, label),   BytesAttribute(CKA_ID, id),
      BoolAttribute(CKA_TOKEN, true),     BoolAttribute(CKA_PRIVATE, true),
      BoolAttribute(CKA_SENSITIVE, true), BoolAttribute(CKA_EXTRACTABLE, false),
      BoolAttribute(CKA_SIGN, true),      BoolAttribute(CKA_DERIVE, false),
  };
  CK_MECHANISM mechanism;
  if (rsa) {
    mechanism = CK_MECHANISM{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
    public_template.push_back(UlongAttribute(CKA_MODULUS_BITS, modulus_bits));
    public_template.push_back(BytesAttribute(CKA_PUBLIC_EXPONENT, exponent));
    public_template.push_back(BoolAttribute(CKA_VERIFY_RECOVER, false));
    private_template.push_back(BoolAttribute(CKA_DECRYPT, false));
    private_template.push_back(BoolAttribute(CKA_UNWRAP, false));
    private_template.push_back(BoolAttribute(CKA_SIGN_RECOVER, false));
  } else {
    mechanism = CK_MECHANISM{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    public_template.push_back(BytesAttribute(CKA_EC_PARAMS, kP256EcParams));
  }

  GeneratedKeyPair pair;
  RETURN_IF_ERROR(GenerateTokenKeyPair(lease, mechanism, public_template,
                                       private_template, id,
                                       "C_GenerateKeyPair", pair));
  return pair;
}

}  // namespace sejf::hsm::pkcs11
