#include "signer/x509/certificate_info.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/pem_blocks.h"
#include "common/status_macros.h"
#include "signer/x509/der.h"
#include "signer/x509/public_key.h"

namespace sejf::signer {
namespace {

// RFC 5280 §4.2.1.3 order, the order openssl -text lists them in.
constexpr std::uint32_t kKeyUsageBitsInRfcOrder[] = {
    kKeyUsageDigitalSignature, kKeyUsageNonRepudiation,
    kKeyUsageKeyEncipherment,  kKeyUsageDataEncipherment,
    kKeyUsageKeyAgreement,     kKeyUsageKeyCertSign,
    kKeyUsageCrlSign,          kKeyUsageEncipherOnly,
    kKeyUsageDecipherOnly,
};

absl::StatusOr<X509Ptr> ParseX509Der(absl::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "not a DER X.509 certificate");
  }
  if (p != end) {
    return absl::InvalidArgumentError(
        absl::StrCat("a DER certificate followed by ", end - p,
                     " more bytes; give a chain as PEM"));
  }
  // Malformed extensions (e.g. a keyUsage that does not decode) would
  // otherwise read as absent.
  if (X509_get_extension_flags(cert.get()) & EXFLAG_INVALID) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "the certificate has malformed extensions");
  }
  return cert;
}

absl::StatusOr<std::string> NameToRfc2253(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslInternal("cannot allocate a BIO");
  // RFC 2253, but UTF-8 left as it is instead of \XX escapes.
  constexpr unsigned long kFlags =  // NOLINT(runtime/int)
      XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  if (X509_NAME_print_ex(bio.get(), name, 0, kFlags) < 0) {
    return OpenSslInternal("cannot print a certificate name");
  }
  return MemoryBioContents(bio.get());
}

absl::StatusOr<absl::Time> ToTime(const ASN1_TIME* time,
                                  absl::string_view what) {
  std::tm tm = {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return OpenSslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("the certificate's ", what, " is not a valid time"));
  }
  return absl::FromCivil(
      absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec),
      absl::UTCTimeZone());
}

// The serial's value as `openssl x509 -serial` prints it: whole bytes of
// the magnitude in uppercase hex, without DER's sign byte ("00" for zero,
// "-" in front of a negative serial, which RFC 5280 forbids but CAs have
// issued).
std::string SerialHex(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  // OpenSSL keeps the magnitude big-endian, without DER's sign byte (and
  // refuses DER with superfluous leading bytes).
  const absl::string_view magnitude(
      reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
      static_cast<std::size_t>(ASN1_STRING_length(serial)));
  if (magnitude.empty()) return "00";
  const bool negative = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER;
  return absl::StrCat(negative ? "-" : "", UpperHex(magnitude));
}

absl::StatusOr<std::string> Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(),
                 nullptr) != 1) {
    return OpenSslInternal("cannot compute SHA-256");
  }
  return UpperHex(
      absl::string_view(reinterpret_cast<const char*>(digest), size));
}

absl::StatusOr<CertificateInfo> Describe(X509* cert, std::string der) {
  CertificateInfo info;
  ASSIGN_OR_RETURN(info.pem, DerToPem("CERTIFICATE", der));
  ASSIGN_OR_RETURN(info.subject, NameToRfc2253(X509_get_subject_name(cert)));
  ASSIGN_OR_RETURN(info.issuer, NameToRfc2253(X509_get_issuer_name(cert)));
  info.serial_hex = SerialHex(cert);
  ASSIGN_OR_RETURN(info.not_before,
                   ToTime(X509_get0_notBefore(cert), "notBefore"));
  ASSIGN_OR_RETURN(info.not_after,
                   ToTime(X509_get0_notAfter(cert), "notAfter"));
  ASSIGN_OR_RETURN(info.sha256_fingerprint, Sha256Hex(der));
  ASSIGN_OR_RETURN(info.spki_der,
                   ToDer(i2d_X509_PUBKEY, X509_get_X509_PUBKEY(cert),
                         "the certificate's public key"));
  if (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) {
    info.key_usage = X509_get_key_usage(cert);
  }
  info.der = std::move(der);
  return info;
}

absl::Status InCertificate(std::size_t index, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("certificate ", index + 1,
                                                  ": ", status.message()));
}

// The DER of each CERTIFICATE block in `pem`, in order.
absl::StatusOr<std::vector<std::string>> PemBlocks(absl::string_view pem) {
  ASSIGN_OR_RETURN(std::vector<PemBlock> read, ReadPemBlocks(pem));
  std::vector<std::string> blocks;
  for (PemBlock& block : read) {
    if (block.name != PEM_STRING_X509 && block.name != PEM_STRING_X509_OLD) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PEM block ", blocks.size() + 1, " is \"", block.name,
          "\"; only CERTIFICATE blocks belong in a certificate chain"));
    }
    if (blocks.size() == kMaxChainLength) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the chain has more than ", kMaxChainLength, " certificates"));
    }
    blocks.push_back(std::move(block.der));
  }
  if (blocks.empty()) {
    return absl::InvalidArgumentError("the PEM input has no CERTIFICATE block");
  }
  return blocks;
}

}  // namespace

absl::StatusOr<CertificateInfo> ParseCertificate(absl::string_view der) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseX509Der(der));
  return Describe(cert.get(), std::string(der));
}

absl::StatusOr<CertificateChain> ParseCertificateChain(absl::string_view data) {
  if (data.empty()) {
    return absl::InvalidArgumentError("the certificate chain is empty");
  }
  std::vector<std::string> ders;
  bool pem = absl::StrContains(data, "-----BEGIN");
  if (pem) {
    ASSIGN_OR_RETURN(ders, PemBlocks(data));
  } else {
    ders.emplace_back(data);
  }
  std::vector<X509Ptr> certs;
  for (std::size_t i = 0; i < ders.size(); ++i) {
    absl::StatusOr<X509Ptr> cert = ParseX509Der(ders[i]);
    if (!cert.ok()) {
      if (!pem) {
        return absl::InvalidArgumentError(
            absl::StrCat("the input is neither PEM nor one DER certificate: ",
                         cert.status().message()));
      }
      return InCertificate(i, cert.status());
    }
    certs.push_back(*std::move(cert));
  }
  for (std::size_t i = 0; i + 1 < certs.size(); ++i) {
    if (X509_check_issued(certs[i + 1].get(), certs[i].get()) != X509_V_OK) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat(
          "certificate ", i + 2, " is not the issuer of certificate ", i + 1,
          "; give the chain leaf first, each certificate followed by its "
          "issuer"));
    }
  }
  CertificateChain chain;
  ASSIGN_OR_RETURN(chain.leaf, Describe(certs[0].get(), std::move(ders[0])));
  for (std::size_t i = 1; i < ders.size(); ++i) {
    // Each intermediate must be a certificate ParseCertificate accepts (it
    // is stored with the key and read back), e.g. with valid dates.
    absl::StatusOr<CertificateInfo> info = Describe(certs[i].get(), ders[i]);
    if (!info.ok()) return InCertificate(i, info.status());
    chain.intermediates_der.push_back(std::move(ders[i]));
  }
  return chain;
}

absl::Status CheckCertificateFitsKey(const CertificateInfo& certificate,
                                     absl::string_view key_spki_der,
                                     CertificateUsage usage) {
  ASSIGN_OR_RETURN(
      EvpPkeyPtr cert_key,
      ParsePublicKey(certificate.spki_der, "the certificate's public key"));
  ASSIGN_OR_RETURN(EvpPkeyPtr key,
                   ParsePublicKey(key_spki_der, "the key's public key"));
  if (EVP_PKEY_eq(cert_key.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        "certificate's public key is not this key's");
  }
  std::uint32_t required = RequiredKeyUsageBit(usage);
  if (certificate.key_usage.has_value() &&
      (*certificate.key_usage & required) == 0) {
    std::vector<absl::string_view> allowed;
    for (std::uint32_t bit : kKeyUsageBitsInRfcOrder) {
      if (*certificate.key_usage & bit) allowed.push_back(KeyUsageBitName(bit));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "certificate's keyUsage lacks ", KeyUsageBitName(required),
        ", which an ", CertificateUsageName(usage), " key needs (it allows: ",
        allowed.empty() ? "nothing" : absl::StrJoin(allowed, ", "), ")"));
  }
  return absl::OkStatus();
}

}  // namespace sejf::signer
