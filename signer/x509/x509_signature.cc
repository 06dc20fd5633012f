#include "signer/x509/x509_signature.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"
#include "signer/x509/der.h"

namespace sejf::signer {
namespace {

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }

// ecdsa-with-SHA256 (1.2.840.10045.4.3.2), parameters absent (RFC 5758 §3.2).
constexpr char kEcdsaSha256[] =
    "\x30\x0a"
    "\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02";

// sha256WithRSAEncryption (1.2.840.113549.1.1.11), parameters NULL
// (RFC 4055 §5).
constexpr char kRsaPkcs1Sha256[] =
    "\x30\x0d"
    "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
    "\x05\x00";

// id-RSASSA-PSS (1.2.840.113549.1.1.10) with RSASSA-PSS-params (RFC 4055
// §3.1): hashAlgorithm [0] sha256 (2.16.840.1.101.3.4.2.1, NULL),
// maskGenAlgorithm [1] id-mgf1 (1.2.840.113549.1.1.8) with sha256,
// saltLength [2] 32, trailerField absent (default 1). The NULL digest
// parameters are RFC 4055's sha256Identifier.
constexpr char kRsaPssSha256[] =
    "\x30\x41"
    "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"
    "\x30\x34"
    "\xa0\x0f"
    "\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00"
    "\xa1\x1c"
    "\x30\x1a\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08"
    "\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00"
    "\xa2\x03\x02\x01\x20";

}  // namespace

absl::string_view SignatureAlgorithmDer(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kEcdsaSha256:
      return {kEcdsaSha256, sizeof(kEcdsaSha256) - 1};
    case SignatureScheme::kRsaPkcs1Sha256:
      return {kRsaPkcs1Sha256, sizeof(kRsaPkcs1Sha256) - 1};
    case SignatureScheme::kRsaPssSha256:
      return {kRsaPssSha256, sizeof(kRsaPssSha256) - 1};
  }
  return {};
}

absl::StatusOr<X509AlgorPtr> SignatureAlgorithm(SignatureScheme scheme) {
  absl::string_view der = SignatureAlgorithmDer(scheme);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509AlgorPtr algorithm(
      d2i_X509_ALGOR(nullptr, &p, static_cast<long>(der.size())));
  if (algorithm == nullptr) {
    return OpenSslInternal(
        absl::StrCat("cannot decode the AlgorithmIdentifier of ",
                     SignatureSchemeName(scheme)));
  }
  return algorithm;
}

absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw) {
  if (raw.size() != 64) {
    return absl::InternalError(
        absl::StrCat("the signer returned an ECDSA signature of ", raw.size(),
                     " bytes; raw r||s of 64 bytes was expected"));
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BignumPtr r(BN_bin2bn(bytes, 32, nullptr));
  BignumPtr s(BN_bin2bn(bytes + 32, 32, nullptr));
  if (r == nullptr || s == nullptr) {
    return OpenSslInternal("cannot allocate ECDSA signature numbers");
  }
  if (BN_is_zero(r.get()) || BN_is_zero(s.get())) {
    return absl::InternalError(
        "the signer returned an ECDSA signature with r or s zero");
  }
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (sig == nullptr) return OpenSslInternal("cannot allocate an ECDSA_SIG");
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return OpenSslInternal("cannot set the ECDSA signature numbers");
  }
  // ECDSA_SIG_set0 took ownership of both.
  r.release();
  s.release();
  return ToDer(i2d_ECDSA_SIG, sig.get(), "the ECDSA signature");
}

absl::StatusOr<Asn1BitStringPtr> SignToBitString(const ExternalSigner& signer,
                                                 SignatureScheme scheme,
                                                 KsefKeyType type,
                                                 absl::string_view to_be_signed,
                                                 absl::string_view what) {
  if (!signer) {
    return absl::InvalidArgumentError(
        absl::StrCat("no signer was given for ", what));
  }
  absl::StatusOr<std::string> raw = signer(to_be_signed);
  if (!raw.ok()) {
    return absl::Status(
        raw.status().code(),
        absl::StrCat("signing ", what, " with ", SignatureSchemeName(scheme),
                     ": ", raw.status().message()));
  }
  std::string value;
  if (type == KsefKeyType::kEcP256) {
    ASSIGN_OR_RETURN(value, EcdsaRawToDer(*raw));
  } else {
    if (raw->size() != RawSignatureSize(type)) {
      return absl::InternalError(
          absl::StrCat("the signer returned an RSA signature of ", raw->size(),
                       " bytes; ", RawSignatureSize(type),
                       " were expected for ", KsefKeyTypeName(type)));
    }
    value = *std::move(raw);
  }
  Asn1BitStringPtr bits(ASN1_BIT_STRING_new());
  if (bits == nullptr ||
      ASN1_BIT_STRING_set(bits.get(),
                          reinterpret_cast<unsigned char*>(value.data()),
                          static_cast<int>(value.size())) != 1) {
    return OpenSslInternal("cannot build the signature BIT STRING");
  }
  // Whole bytes: 0 unused bits. Without ASN1_STRING_FLAG_BITS_LEFT, OpenSSL
  // would drop trailing zero bits of the signature when encoding it.
  bits->flags &= ~0x07L;
  bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  return bits;
}

}  // namespace sejf::signer
