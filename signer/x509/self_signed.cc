#include "signer/x509/self_signed.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/crypto_init.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "signer/x509/der.h"
#include "signer/x509/public_key.h"
#include "signer/x509/x509_signature.h"

namespace sejf::signer {
namespace {

constexpr int kSerialBytes = 8;

// 8 random bytes with the first in 0x01..0x7F: positive, and no DER
// leading-zero byte added or removed, so the content stays 8 bytes.
absl::StatusOr<Asn1IntegerPtr> RandomSerial() {
  RETURN_IF_ERROR(InitCrypto());
  std::string bytes;
  do {
    bytes = RandomBytes(kSerialBytes);
    bytes[0] = static_cast<char>(bytes[0] & 0x7F);
  } while (bytes[0] == 0);
  BignumPtr number(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                kSerialBytes, nullptr));
  if (number == nullptr) return OpenSslInternal("cannot make the serial");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
  if (serial == nullptr) return OpenSslInternal("cannot make the serial");
  return serial;
}

absl::Status SetValidity(X509* cert, absl::Time now, int days) {
  time_t not_before = absl::ToTimeT(now);
  time_t not_after = not_before + static_cast<time_t>(days) * 24 * 60 * 60;
  Asn1TimePtr begin(ASN1_TIME_set(nullptr, not_before));
  Asn1TimePtr end(ASN1_TIME_set(nullptr, not_after));
  if (begin == nullptr || end == nullptr ||
      X509_set1_notBefore(cert, begin.get()) != 1 ||
      X509_set1_notAfter(cert, end.get()) != 1) {
    return OpenSslInternal("cannot set the validity period");
  }
  return absl::OkStatus();
}

absl::Status AddExtensions(X509* cert, CertificateUsage usage) {
  BasicConstraintsPtr constraints(BASIC_CONSTRAINTS_new());
  if (constraints == nullptr) {
    return OpenSslInternal("cannot allocate basicConstraints");
  }
  constraints->ca = 0;  // CA:FALSE, no pathLenConstraint
  if (X509_add1_ext_i2d(cert, NID_basic_constraints, constraints.get(),
                        /*crit=*/1, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslInternal("cannot add basicConstraints");
  }

  // Named bits: digitalSignature is bit 0, nonRepudiation bit 1.
  int bit = usage == CertificateUsage::kAuthentication ? 0 : 1;
  Asn1BitStringPtr key_usage(ASN1_BIT_STRING_new());
  if (key_usage == nullptr ||
      ASN1_BIT_STRING_set_bit(key_usage.get(), bit, 1) != 1 ||
      X509_add1_ext_i2d(cert, NID_key_usage, key_usage.get(), /*crit=*/1,
                        X509V3_ADD_DEFAULT) != 1) {
    return OpenSslInternal("cannot add keyUsage");
  }

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  Asn1OctetStringPtr key_id(ASN1_OCTET_STRING_new());
  if (X509_pubkey_digest(cert, EVP_sha1(), digest, &digest_size) != 1 ||
      key_id == nullptr ||
      ASN1_OCTET_STRING_set(key_id.get(), digest,
                            static_cast<int>(digest_size)) != 1 ||
      X509_add1_ext_i2d(cert, NID_subject_key_identifier, key_id.get(),
                        /*crit=*/0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslInternal("cannot add subjectKeyIdentifier");
  }
  return absl::OkStatus();
}

}  // namespace

// How the signature gets in. OpenSSL 3.0 has no X509 counterpart of
// X509_REQ_set1_signature_algo/X509_REQ_set0_signature (and a signing
// provider wrapping the ExternalSigner would be far more code), so:
//  1. the AlgorithmIdentifier is copied into the TBSCertificate's `signature`
//     field through the pointer X509_get0_tbs_sigalg returns;
//  2. i2d_re_X509_tbs gives the DER TBSCertificate, which the signer signs;
//  3. the outer signatureAlgorithm and signatureValue are written through
//     the pointers X509_get0_signature returns.
// Those accessors return const pointers into the certificate object; we
// write through them on an object we own, and nothing else holds it. The
// result is then serialised, parsed afresh and verified with the public
// key, so a mistake here cannot leave unnoticed.
absl::StatusOr<CertificateInfo> CreateSelfSignedCertificate(
    absl::string_view spki_der, const DistinguishedName& subject,
    CertificateUsage usage, int validity_days, SignatureScheme scheme,
    const ExternalSigner& signer, const Clock& clock) {
  if (validity_days < kMinSelfSignedDays ||
      validity_days > kMaxSelfSignedDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("validity days must be between ", kMinSelfSignedDays,
                     " and ", kMaxSelfSignedDays, "; got ", validity_days));
  }
  ASSIGN_OR_RETURN(KsefPublicKey key, ParseKsefPublicKey(spki_der));
  RETURN_IF_ERROR(CheckSchemeFitsKey(scheme, key.type));
  if (!signer) {
    return absl::InvalidArgumentError(
        "no signer was given for the certificate");
  }
  ASSIGN_OR_RETURN(X509NamePtr name, subject.ToX509Name());
  ASSIGN_OR_RETURN(Asn1IntegerPtr serial, RandomSerial());
  ASSIGN_OR_RETURN(X509AlgorPtr algorithm, SignatureAlgorithm(scheme));

  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslInternal("cannot allocate an X509");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_issuer_name(cert.get(), name.get()) != 1 ||
      X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set_pubkey(cert.get(), key.key.get()) != 1) {
    return OpenSslInternal("cannot fill in the certificate");
  }
  RETURN_IF_ERROR(SetValidity(cert.get(), clock.Now(), validity_days));
  RETURN_IF_ERROR(AddExtensions(cert.get(), usage));

  auto* tbs_algorithm =
      const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(cert.get()));
  if (X509_ALGOR_copy(tbs_algorithm, algorithm.get()) != 1) {
    return OpenSslInternal("cannot set the certificate's signature algorithm");
  }
  ASSIGN_OR_RETURN(std::string tbs,
                   ToDer(i2d_re_X509_tbs, cert.get(), "the TBSCertificate"));
  ASSIGN_OR_RETURN(
      Asn1BitStringPtr signature,
      SignToBitString(signer, scheme, key.type, tbs, "the certificate"));
  const ASN1_BIT_STRING* outer_signature = nullptr;
  const X509_ALGOR* outer_algorithm = nullptr;
  X509_get0_signature(&outer_signature, &outer_algorithm, cert.get());
  if (X509_ALGOR_copy(const_cast<X509_ALGOR*>(outer_algorithm),
                      algorithm.get()) != 1 ||
      ASN1_STRING_copy(const_cast<ASN1_BIT_STRING*>(outer_signature),
                       signature.get()) != 1) {
    return OpenSslInternal("cannot set the certificate's signature");
  }

  ASSIGN_OR_RETURN(std::string der,
                   ToDer(i2d_X509, cert.get(), "the certificate"));
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr parsed(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (parsed == nullptr) {
    return OpenSslInternal("cannot re-read the certificate");
  }
  if (X509_verify(parsed.get(), key.key.get()) != 1) {
    return OpenSslInternal(absl::StrCat(
        "the ", SignatureSchemeName(scheme),
        " signature on the certificate does not verify with the given "
        "public key; did the signer use another key or scheme?"));
  }
  return ParseCertificate(der);
}

}  // namespace sejf::signer
