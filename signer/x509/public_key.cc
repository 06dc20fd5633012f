#include "signer/x509/public_key.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/status_macros.h"
#include "signer/x509/der.h"

namespace sejf::signer {
namespace {

// What the key is, for messages: "EC secp384r1", "RSA-4096", "ED25519".
std::string DescribeKey(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    size_t size = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &size) == 1) {
      return absl::StrCat("EC ", group);
    }
    return "EC with explicit curve parameters";
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    return absl::StrCat("RSA-", EVP_PKEY_get_bits(key));
  }
  const char* name = EVP_PKEY_get0_type_name(key);
  return name != nullptr ? std::string(name) : "of an unknown type";
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> ParsePublicKey(absl::string_view spki_der,
                                          absl::string_view what) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  const unsigned char* end = p + spki_der.size();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (key == nullptr) {
    return OpenSslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat(what, " is not a DER SubjectPublicKeyInfo"));
  }
  if (p != end) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " has ", end - p, " bytes after its DER SubjectPublicKeyInfo"));
  }
  return key;
}

absl::StatusOr<KsefPublicKey> ParseKsefPublicKey(absl::string_view spki_der) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, ParsePublicKey(spki_der, "the public key"));
  KsefPublicKey out;
  std::string description = DescribeKey(key.get());
  if (description == "EC prime256v1") {
    // KSeF wants the curve named (an OID), not spelled out.
    char encoding[32] = {0};
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_ENCODING,
                                       encoding, sizeof(encoding),
                                       nullptr) != 1 ||
        absl::string_view(encoding) != OSSL_PKEY_EC_ENCODING_GROUP) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          "the EC public key must name its curve (P-256 by OID), not carry "
          "explicit curve parameters");
    }
    out.type = KsefKeyType::kEcP256;
  } else if (description == "RSA-2048") {
    out.type = KsefKeyType::kRsa2048;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("KSeF accepts EC P-256 and RSA-2048 keys only; this key "
                     "is ",
                     description));
  }
  ASSIGN_OR_RETURN(std::string reencoded,
                   ToDer(i2d_PUBKEY, key.get(), "the public key"));
  if (reencoded != spki_der) {
    return absl::InvalidArgumentError(
        "the public key is not in canonical DER form (a named curve and the "
        "encoding OpenSSL writes are expected)");
  }
  out.key = std::move(key);
  return out;
}

absl::Status CheckSchemeFitsKey(SignatureScheme scheme, KsefKeyType type) {
  bool fits = (scheme == SignatureScheme::kEcdsaSha256) ==
              (type == KsefKeyType::kEcP256);
  if (fits) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("signature scheme ", SignatureSchemeName(scheme),
                   " does not fit an ", KsefKeyTypeName(type), " key"));
}

absl::string_view KsefKeyTypeName(KsefKeyType type) {
  switch (type) {
    case KsefKeyType::kEcP256:
      return "EC P-256";
    case KsefKeyType::kRsa2048:
      return "RSA-2048";
  }
  return "unknown";
}

std::size_t RawSignatureSize(KsefKeyType type) {
  return type == KsefKeyType::kEcP256 ? 64 : 256;
}

}  // namespace sejf::signer
