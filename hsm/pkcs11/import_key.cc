#include "hsm/pkcs11/import_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/import_wrap.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/ck_rv.h"
#include "hsm/pkcs11/key_pair_generation.h"
#include "hsm/pkcs11/objects.h"
#include "hsm/pkcs11/public_key_der.h"

namespace sejf::hsm::pkcs11 {
namespace {

using Lease = SessionPool::Lease;

constexpr absl::string_view kNotDecrypted =
    "the ciphertext does not decrypt under the import key (altered, or "
    "encrypted to another import key)";

// Destroys an object when it goes out of scope unless released.
class ObjectGuard {
 public:
  ObjectGuard(Lease& lease, CK_OBJECT_HANDLE object)
      : lease_(lease), object_(object) {}
  ~ObjectGuard() {
    if (object_ != CK_INVALID_HANDLE) {
      DestroyObject(lease_, object_).IgnoreError();
    }
  }
  ObjectGuard(const ObjectGuard&) = delete;
  ObjectGuard& operator=(const ObjectGuard&) = delete;
  void Release() { object_ = CK_INVALID_HANDLE; }

 private:
  Lease& lease_;
  CK_OBJECT_HANDLE object_;
};

absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindImportHalf(
    Lease& lease, CK_ULONG object_class) {
  return FindObjects(lease, {UlongAttribute(CKA_CLASS, object_class),
                             BytesAttribute(CKA_LABEL, kImportKeyLabel)});
}

// How long ImportKeySpkiOn waits for a pair another process is generating.
constexpr absl::Duration kOtherProcessGenerationWait = absl::Seconds(5);

// A public half of an import key as the token shows it now. SoftHSM2 makes
// a generated pair visible to other processes before it has written the
// key material (object first, attributes after), so a half may be seen
// with its label and id but no modulus yet.
struct ImportPublicHalf {
  std::string id;
  std::string modulus;
  std::string public_exponent;

  bool complete() const { return !modulus.empty() && !public_exponent.empty(); }
};

absl::StatusOr<std::vector<ImportPublicHalf>> ReadImportPublicHalves(
    Lease& lease) {
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> found,
                   FindImportHalf(lease, CKO_PUBLIC_KEY));
  std::vector<ImportPublicHalf> halves;
  for (CK_OBJECT_HANDLE handle : found) {
    ImportPublicHalf half;
    ASSIGN_OR_RETURN(half.id, GetBytesAttribute(lease, handle, CKA_ID));
    // A half still being written may not answer for its key material.
    half.modulus = GetBytesAttribute(lease, handle, CKA_MODULUS).value_or("");
    half.public_exponent =
        GetBytesAttribute(lease, handle, CKA_PUBLIC_EXPONENT).value_or("");
    halves.push_back(std::move(half));
  }
  return halves;
}

bool HasCompleteHalf(const std::vector<ImportPublicHalf>& halves) {
  for (const ImportPublicHalf& half : halves) {
    if (half.complete()) return true;
  }
  return false;
}

absl::Status GenerateImportKey(Lease& lease) {
  const std::string id = RandomBytes(kKeyIdSize);
  const absl::string_view label = kImportKeyLabel;
  const CK_ULONG modulus_bits = kImportKeyBits;
  static constexpr char kExponent65537[] = "\x01\x00\x01";
  const absl::string_view exponent(kExponent65537, 3);
  std::vector<CK_ATTRIBUTE> public_template = {
      BytesAttribute(CKA_LABEL, label),
      BytesAttribute(CKA_ID, id),
      BoolAttribute(CKA_TOKEN, true),
      BoolAttribute(CKA_PRIVATE, false),
      BoolAttribute(CKA_ENCRYPT, true),
      BoolAttribute(CKA_WRAP, true),
      BoolAttribute(CKA_VERIFY, false),
      BoolAttribute(CKA_VERIFY_RECOVER, false),
      BoolAttribute(CKA_DERIVE, false),
      UlongAttribute(CKA_MODULUS_BITS, modulus_bits),
      BytesAttribute(CKA_PUBLIC_EXPONENT, exponent),
  };
  std::vector<CK_ATTRIBUTE> private_template = {
      BytesAttribute(CKA_LABEL, label),
      BytesAttribute(CKA_ID, id),
      BoolAttribute(CKA_TOKEN, true),
      BoolAttribute(CKA_PRIVATE, true),
      BoolAttribute(CKA_SENSITIVE, true),
      BoolAttribute(CKA_EXTRACTABLE, false),
      BoolAttribute(CKA_DECRYPT, true),
      BoolAttribute(CKA_UNWRAP, true),
      BoolAttribute(CKA_SIGN, false),
      BoolAttribute(CKA_SIGN_RECOVER, false),
      BoolAttribute(CKA_DERIVE, false),
  };
  GeneratedKeyPair pair;
  return GenerateTokenKeyPair(
      lease, CK_MECHANISM{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0},
      public_template, private_template, id, "C_GenerateKeyPair (import key)",
      pair);
}

// The import key's private halves: normally one; several when two sejfd
// processes on one token made it at the same moment (each then serves
// what was encrypted to either). FAILED_PRECONDITION when there is none.
absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> ImportPrivateKeys(Lease& lease) {
  RETURN_IF_ERROR(lease.EnsureLoggedIn());
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> found,
                   FindImportHalf(lease, CKO_PRIVATE_KEY));
  if (found.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no import key (", kImportKeyLabel,
                     ") in the token; GetImportKey creates one"));
  }
  return found;
}

// Raw RSA (CKM_RSA_X_509) with `key`, then OAEP-SHA256 decoding;
// INVALID_ARGUMENT when it does not decrypt.
absl::StatusOr<SecretBytes> OaepDecryptWith(Lease& lease, CK_OBJECT_HANDLE key,
                                            absl::string_view ciphertext) {
  CK_MECHANISM mechanism{CKM_RSA_X_509, nullptr, 0};
  const CK_FUNCTION_LIST& f = lease.functions();
  RETURN_IF_ERROR(CkRvToStatus(f.C_DecryptInit(lease.handle(), &mechanism, key),
                               "C_DecryptInit (import key)"));
  SecretBytes encoded(kImportKeyModulusSize);
  CK_ULONG size = encoded.size();
  const CK_RV rv = f.C_Decrypt(
      lease.handle(),
      reinterpret_cast<CK_BYTE*>(const_cast<char*>(ciphertext.data())),
      static_cast<CK_ULONG>(ciphertext.size()), encoded.data(), &size);
  if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
      rv == CKR_DATA_INVALID || rv == CKR_DATA_LEN_RANGE) {
    return absl::InvalidArgumentError(kNotDecrypted);
  }
  RETURN_IF_ERROR(CkRvToStatus(rv, "C_Decrypt (import key)"));
  if (size > encoded.size()) return absl::InternalError("C_Decrypt overran");
  if (size < encoded.size()) {
    // A module that strips leading zero bytes: put them back.
    SecretBytes padded(encoded.size() - size, 0);
    padded.insert(padded.end(), encoded.begin(), encoded.begin() + size);
    encoded.swap(padded);
  }
  absl::StatusOr<SecretBytes> plain = DecodeOaepSha256(encoded);
  if (!plain.ok()) return absl::InvalidArgumentError(kNotDecrypted);
  return plain;
}

// OaepDecryptWith each import key until one opens `ciphertext`. A key the
// ciphertext was not made for may refuse it outright rather than fail the
// OAEP check: SoftHSM2 answers CKR_GENERAL_ERROR when the ciphertext, as a
// number, is not below that key's modulus. So every key is tried; the
// answer when none opens it is INVALID_ARGUMENT if any key judged it
// (the ciphertext is wrong), else the first key's own error (the device).
absl::StatusOr<SecretBytes> OaepDecrypt(Lease& lease,
                                        absl::string_view ciphertext) {
  if (ciphertext.size() != kImportKeyModulusSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(kNotDecrypted, ": it must be ", kImportKeyModulusSize,
                     " bytes, not ", ciphertext.size()));
  }
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> keys,
                   ImportPrivateKeys(lease));
  std::optional<absl::Status> judged;
  std::optional<absl::Status> device_error;
  for (CK_OBJECT_HANDLE key : keys) {
    absl::StatusOr<SecretBytes> plain = OaepDecryptWith(lease, key, ciphertext);
    if (plain.ok()) return plain;
    // A session or login lost is the device's, whichever key was tried.
    if (absl::IsUnavailable(plain.status())) return plain.status();
    std::optional<absl::Status>& slot =
        absl::IsInvalidArgument(plain.status()) ? judged : device_error;
    if (!slot) slot = plain.status();
  }
  return judged ? *judged : *device_error;
}

// The public key the caller expects, as PKCS#11 attributes.
struct PublicAttributes {
  KeyAlgorithm algorithm;
  CK_ULONG key_type;
  std::string a;  // CKA_EC_PARAMS or CKA_MODULUS
  std::string b;  // CKA_EC_POINT (DER OCTET STRING) or CKA_PUBLIC_EXPONENT
};

std::string BignumBytes(const BIGNUM* n) {
  std::string out(BN_num_bytes(n), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

absl::StatusOr<PublicAttributes> ParsePublicKey(absl::string_view spki_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (key == nullptr) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        "the public key is not a DER SubjectPublicKeyInfo");
  }
  const int bits = EVP_PKEY_get_bits(key.get());
  if (EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA) {
    if (bits != 2048) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RSA-", bits, " keys are not supported: sejf signs with ",
          "RSA-2048 and EC P-256 keys"));
    }
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
      BN_free(n);
      BN_free(e);
      return OpenSslInternal("reading the RSA public key");
    }
    BignumPtr modulus(n);
    BignumPtr exponent(e);
    return PublicAttributes{KeyAlgorithm::kRsa2048, CKK_RSA,
                            BignumBytes(modulus.get()),
                            BignumBytes(exponent.get())};
  }
  if (EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC) {
    char group[64] = {};
    size_t group_size = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                       group, sizeof(group),
                                       &group_size) != 1 ||
        absl::string_view(group) != "prime256v1") {
      return absl::InvalidArgumentError(absl::StrCat(
          "EC keys on curve ", group[0] ? group : "(unnamed)",
          " are not supported: sejf signs with EC P-256 and RSA-2048 keys"));
    }
    unsigned char point[65];
    size_t point_size = 0;
    if (EVP_PKEY_get_octet_string_param(
            key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point),
            &point_size) != 1 ||
        point_size != sizeof(point)) {
      return OpenSslInternal("reading the EC public point");
    }
    // CKA_EC_POINT: DER OCTET STRING of the uncompressed point.
    std::string ec_point("\x04\x41", 2);
    ec_point.append(reinterpret_cast<const char*>(point), point_size);
    return PublicAttributes{KeyAlgorithm::kEcP256, CKK_EC,
                            std::string(kP256EcParams), std::move(ec_point)};
  }
  return absl::InvalidArgumentError(
      "only EC P-256 and RSA-2048 keys can be imported");
}

}  // namespace

absl::StatusOr<std::string> ImportKeySpkiOn(Lease& lease) {
  RETURN_IF_ERROR(lease.EnsureLoggedIn());
  ASSIGN_OR_RETURN(std::vector<ImportPublicHalf> halves,
                   ReadImportPublicHalves(lease));
  // Halves without key material belong to a pair another process is
  // generating right now: wait (bounded) for it rather than make a second
  // pair. What stays incomplete is debris of a process killed while
  // generating, and a pair of our own is made beside it.
  const absl::Time give_up = absl::Now() + kOtherProcessGenerationWait;
  while (!HasCompleteHalf(halves) && !halves.empty() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(50));
    ASSIGN_OR_RETURN(halves, ReadImportPublicHalves(lease));
  }
  if (!HasCompleteHalf(halves)) {
    RETURN_IF_ERROR(GenerateImportKey(lease));
    ASSIGN_OR_RETURN(halves, ReadImportPublicHalves(lease));
  }
  // Several complete (processes made it at once): the one with the
  // smallest CKA_ID, so that every process publishes the same key.
  const ImportPublicHalf* chosen = nullptr;
  for (const ImportPublicHalf& half : halves) {
    if (half.complete() && (chosen == nullptr || half.id < chosen->id)) {
      chosen = &half;
    }
  }
  if (chosen == nullptr) {
    return absl::InternalError(
        "the import key just generated shows no modulus or public exponent");
  }
  ASSIGN_OR_RETURN(std::string spki,
                   RsaSpki(chosen->modulus, chosen->public_exponent));
  return spki;
}

absl::StatusOr<SecretBytes> DecryptWithImportKeyOn(
    Lease& lease, absl::string_view ciphertext) {
  return OaepDecrypt(lease, ciphertext);
}

absl::StatusOr<KeyAlgorithm> UnwrapKeyPairOn(Lease& lease,
                                             absl::string_view label,
                                             absl::string_view id,
                                             absl::string_view wrapped,
                                             absl::string_view public_key_der) {
  ASSIGN_OR_RETURN(PublicAttributes public_key, ParsePublicKey(public_key_der));
  if (wrapped.size() <= kImportKeyModulusSize + 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a wrapped key is more than ", kImportKeyModulusSize + 8,
        " bytes (RSA-OAEP block, then RFC 5649), not ", wrapped.size()));
  }
  ASSIGN_OR_RETURN(
      SecretBytes aes_key,
      OaepDecrypt(lease, wrapped.substr(0, kImportKeyModulusSize)));
  if (aes_key.size() != kImportWrapAesKeySize) {
    return absl::InvalidArgumentError(
        "the wrapped key's RSA-OAEP block does not hold an AES-256 key");
  }
  const CK_FUNCTION_LIST& f = lease.functions();

  // The ephemeral AES key as a session object that can only unwrap.
  const CK_ULONG secret_key = CKO_SECRET_KEY;
  const CK_ULONG aes = CKK_AES;
  std::vector<CK_ATTRIBUTE> aes_template = {
      UlongAttribute(CKA_CLASS, secret_key),
      UlongAttribute(CKA_KEY_TYPE, aes),
      BoolAttribute(CKA_TOKEN, false),
      BoolAttribute(CKA_PRIVATE, true),
      BoolAttribute(CKA_SENSITIVE, true),
      BoolAttribute(CKA_EXTRACTABLE, false),
      BoolAttribute(CKA_UNWRAP, true),
      BoolAttribute(CKA_WRAP, false),
      BoolAttribute(CKA_ENCRYPT, false),
      BoolAttribute(CKA_DECRYPT, false),
      CK_ATTRIBUTE{CKA_VALUE, aes_key.data(),
                   static_cast<CK_ULONG>(aes_key.size())},
  };
  CK_OBJECT_HANDLE aes_object = CK_INVALID_HANDLE;
  RETURN_IF_ERROR(CkRvToStatus(
      f.C_CreateObject(lease.handle(), aes_template.data(),
                       static_cast<CK_ULONG>(aes_template.size()), &aes_object),
      "C_CreateObject (transport key)"));
  ObjectGuard aes_guard(lease, aes_object);

  // The private key, unwrapped into the token.
  const CK_ULONG private_class = CKO_PRIVATE_KEY;
  std::vector<CK_ATTRIBUTE> private_template = {
      UlongAttribute(CKA_CLASS, private_class),
      UlongAttribute(CKA_KEY_TYPE, public_key.key_type),
      BytesAttribute(CKA_LABEL, label),
      BytesAttribute(CKA_ID, id),
      BoolAttribute(CKA_TOKEN, true),
      BoolAttribute(CKA_PRIVATE, true),
      BoolAttribute(CKA_SENSITIVE, true),
      BoolAttribute(CKA_EXTRACTABLE, false),
      BoolAttribute(CKA_SIGN, true),
      BoolAttribute(CKA_DERIVE, false),
  };
  if (public_key.key_type == CKK_RSA) {
    private_template.push_back(BoolAttribute(CKA_DECRYPT, false));
    private_template.push_back(BoolAttribute(CKA_UNWRAP, false));
    private_template.push_back(BoolAttribute(CKA_SIGN_RECOVER, false));
  }
  const absl::string_view kwp = wrapped.substr(kImportKeyModulusSize);
  CK_MECHANISM mechanism{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
  const CK_RV rv = f.C_UnwrapKey(
      lease.handle(), &mechanism, aes_object,
      reinterpret_cast<CK_BYTE*>(const_cast<char*>(kwp.data())),
      static_cast<CK_ULONG>(kwp.size()), private_template.data(),
      static_cast<CK_ULONG>(private_template.size()), &private_key);
  if (rv != CKR_OK) {
    absl::Status status = CkRvToStatus(rv, "C_UnwrapKey (imported key)");
    if (absl::IsUnavailable(status)) return status;
    // SoftHSM2 answers CKR_GENERAL_ERROR for every unwrap failure (altered
    // bytes, a PKCS#8 of another key type than the certificate's).
    return absl::InvalidArgumentError(absl::StrCat(
        "the wrapped private key does not unwrap (", CkRvName(rv),
        "): altered, not a PKCS#8 private key, or not of the certificate's "
        "key type"));
  }
  ObjectGuard private_guard(lease, private_key);

  const CK_ULONG public_class = CKO_PUBLIC_KEY;
  std::vector<CK_ATTRIBUTE> public_template = {
      UlongAttribute(CKA_CLASS, public_class),
      UlongAttribute(CKA_KEY_TYPE, public_key.key_type),
      BytesAttribute(CKA_LABEL, label),
      BytesAttribute(CKA_ID, id),
      BoolAttribute(CKA_TOKEN, true),
      BoolAttribute(CKA_PRIVATE, false),
      BoolAttribute(CKA_VERIFY, true),
      BoolAttribute(CKA_ENCRYPT, false),
      BoolAttribute(CKA_WRAP, false),
      BoolAttribute(CKA_DERIVE, false),
  };
  if (public_key.key_type == CKK_RSA) {
    public_template.push_back(BytesAttribute(CKA_MODULUS, public_key.a));
    public_template.push_back(
        BytesAttribute(CKA_PUBLIC_EXPONENT, public_key.b));
  } else {
    public_template.push_back(BytesAttribute(CKA_EC_PARAMS, public_key.a));
    public_template.push_back(BytesAttribute(CKA_EC_POINT, public_key.b));
  }
  CK_OBJECT_HANDLE public_object = CK_INVALID_HANDLE;
  RETURN_IF_ERROR(CkRvToStatus(
      f.C_CreateObject(lease.handle(), public_template.data(),
                       static_cast<CK_ULONG>(public_template.size()),
                       &public_object),
      "C_CreateObject (imported public key)"));
  private_guard.Release();
  return public_key.algorithm;
}

}  // namespace sejf::hsm::pkcs11
