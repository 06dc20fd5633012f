#include "server/tls/certificate_issuer.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <initializer_list>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/crypto_init.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "server/tls/peer_identity.h"
#include "server/tls/pem.h"

namespace sejf::server {
namespace {

constexpr size_t kMaxCommonNameBytes = 64;  // ub-common-name, RFC 5280
constexpr size_t kSerialBytes = 16;

// One X.509v3 extension in OpenSSL's configuration syntax.
using ExtensionText = std::pair<int, const char*>;

bool IsPrintableAscii(absl::string_view s) {
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

absl::Status CheckCommonName(absl::string_view common_name) {
  if (common_name.size() > kMaxCommonNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("common name must be at most ", kMaxCommonNameBytes,
                     " bytes, not ", common_name.size()));
  }
  if (absl::Status s = CheckCommonNameIdentity(common_name); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unusable common name: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status CheckValidity(absl::Duration validity) {
  if (validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("validity must be positive");
  }
  return absl::OkStatus();
}

absl::Status CheckSpec(const CertificateSpec& spec) {
  RETURN_IF_ERROR(CheckCommonName(spec.common_name));
  RETURN_IF_ERROR(CheckValidity(spec.validity));
  if (spec.uri_san.has_value()) {
    if (!IsPrintableAscii(*spec.uri_san)) {
      return absl::InvalidArgumentError(
          "URI subjectAltName must be printable ASCII without spaces");
    }
    if (absl::Status s = CheckUriIdentity(*spec.uri_san); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unusable URI subjectAltName: ", s.message()));
    }
  }
  for (const std::string& dns : spec.dns_sans) {
    if (dns.empty() || !IsPrintableAscii(dns)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "DNS subjectAltName \"", absl::CEscape(dns),
          "\" must be a non-empty printable ASCII name without spaces"));
    }
  }
  for (const std::string& ip : spec.ip_sans) {
    if (!Asn1OctetStringPtr(a2i_IPADDRESS(ip.c_str()))) {
      DrainOpenSslErrors();
      return absl::InvalidArgumentError(
          absl::StrCat("IP subjectAltName \"", absl::CEscape(ip),
                       "\" is not an IPv4 or IPv6 address"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<EvpPkeyPtr> GenerateP256Key() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslInternal("cannot generate an EC P-256 key");
  return key;
}

absl::Status SetRandomSerial(X509* cert) {
  std::string bytes = RandomBytes(kSerialBytes);
  // Top bit clear: positive. Next bit set: exactly kSerialBytes long in DER.
  bytes[0] = static_cast<char>((bytes[0] & 0x7F) | 0x40);
  BignumPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) {
    return OpenSslInternal("cannot set certificate serial number");
  }
  return absl::OkStatus();
}

// An unsigned certificate for `subject_key` named CN=`common_name`, issued
// by `issuer` (self-issued when null), without extensions.
absl::StatusOr<X509Ptr> NewCertificate(absl::string_view common_name,
                                       EVP_PKEY* subject_key,
                                       const X509* issuer,
                                       absl::Duration validity,
                                       const Clock& clock) {
  X509Ptr cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3)) {
    return OpenSslInternal("cannot create certificate");
  }
  RETURN_IF_ERROR(SetRandomSerial(cert.get()));

  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (!X509_NAME_add_entry_by_NID(
          subject, NID_commonName, MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(common_name.data()),
          static_cast<int>(common_name.size()), -1, 0) ||
      !X509_set_issuer_name(cert.get(), issuer != nullptr
                                            ? X509_get_subject_name(issuer)
                                            : subject)) {
    return OpenSslInternal("cannot set certificate names");
  }

  absl::Time now = clock.Now();
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                     absl::ToTimeT(now - kClockSkewAllowance)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                     absl::ToTimeT(now + validity))) {
    return OpenSslInternal("cannot set certificate validity");
  }
  if (issuer != nullptr && ASN1_TIME_compare(X509_get0_notAfter(cert.get()),
                                             X509_get0_notAfter(issuer)) > 0) {
    if (!X509_set1_notAfter(cert.get(), X509_get0_notAfter(issuer))) {
      return OpenSslInternal("cannot set certificate validity");
    }
  }

  if (!X509_set_pubkey(cert.get(), subject_key)) {
    return OpenSslInternal("cannot set certificate public key");
  }
  return cert;
}

// Adds `extensions` in order; `issuer` null means self-issued.
absl::Status AddExtensions(X509* cert, X509* issuer,
                           std::initializer_list<ExtensionText> extensions) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr,
                 nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
    if (!ext || !X509_add_ext(cert, ext.get(), -1)) {
      return OpenSslInternal(
          absl::StrCat("cannot add certificate extension ", OBJ_nid2sn(nid)));
    }
  }
  return absl::OkStatus();
}

// Appends a GENERAL_NAME of `type` holding `value` (an owning pointer to an
// ASN.1 string) to `names`.
template <typename Value>
absl::Status AddGeneralName(GENERAL_NAMES* names, int type, Value value) {
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!name) return OpenSslInternal("cannot allocate subjectAltName");
  GENERAL_NAME_set0_value(name.get(), type, value.release());
  if (!sk_GENERAL_NAME_push(names, name.get())) {
    return OpenSslInternal("cannot allocate subjectAltName");
  }
  name.release();  // now owned by `names`
  return absl::OkStatus();
}

absl::Status AddText(GENERAL_NAMES* names, int type, absl::string_view text) {
  Asn1Ia5StringPtr value(ASN1_IA5STRING_new());
  if (!value || !ASN1_STRING_set(value.get(), text.data(),
                                 static_cast<int>(text.size()))) {
    return OpenSslInternal("cannot allocate subjectAltName");
  }
  return AddGeneralName(names, type, std::move(value));
}

absl::Status AddIp(GENERAL_NAMES* names, const std::string& ip) {
  Asn1OctetStringPtr value(a2i_IPADDRESS(ip.c_str()));
  if (!value) return OpenSslInternal("cannot encode IP subjectAltName");
  return AddGeneralName(names, GEN_IPADD, std::move(value));
}

// subjectAltName (not critical: the subject CN is never empty) with the URI
// first, then DNS names, then IP addresses; nothing when the spec has none.
absl::Status AddSubjectAltNames(X509* cert, const CertificateSpec& spec) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return OpenSslInternal("cannot allocate subjectAltName");
  if (spec.uri_san.has_value()) {
    RETURN_IF_ERROR(AddText(names.get(), GEN_URI, *spec.uri_san));
  }
  for (const std::string& dns : spec.dns_sans) {
    RETURN_IF_ERROR(AddText(names.get(), GEN_DNS, dns));
  }
  for (const std::string& ip : spec.ip_sans) {
    RETURN_IF_ERROR(AddIp(names.get(), ip));
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) return absl::OkStatus();
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0,
                        X509V3_ADD_DEFAULT) != 1) {
    return OpenSslInternal("cannot add subjectAltName");
  }
  return absl::OkStatus();
}

absl::Status Sign(X509* cert, EVP_PKEY* issuer_key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) {
    return OpenSslInternal("cannot sign certificate");
  }
  return absl::OkStatus();
}

absl::StatusOr<X509Ptr> SelfSignedCa(EVP_PKEY* key,
                                     absl::string_view common_name,
                                     absl::Duration validity,
                                     const Clock& clock) {
  ASSIGN_OR_RETURN(X509Ptr cert,
                   NewCertificate(common_name, key, nullptr, validity, clock));
  RETURN_IF_ERROR(
      AddExtensions(cert.get(), nullptr,
                    {{NID_basic_constraints, "critical,CA:TRUE"},
                     {NID_key_usage, "critical,keyCertSign,cRLSign"},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"}}));
  RETURN_IF_ERROR(Sign(cert.get(), key));
  return cert;
}

absl::Status CheckCaUsable(X509* ca, EVP_PKEY* ca_key, const Clock& clock) {
  if (X509_check_private_key(ca, ca_key) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "the CA key does not belong to the CA certificate");
  }
  if (X509_check_ca(ca) == 0) {
    return absl::InvalidArgumentError(
        "the CA certificate is not a certificate authority "
        "(basicConstraints CA:TRUE missing)");
  }
  time_t now = absl::ToTimeT(clock.Now());
  if (X509_cmp_time(X509_get0_notAfter(ca), &now) < 0) {
    std::tm tm{};
    std::string when = "a date OpenSSL cannot read";
    if (ASN1_TIME_to_tm(X509_get0_notAfter(ca), &tm) == 1) {
      when = absl::FormatTime(absl::RFC3339_sec, absl::FromTimeT(timegm(&tm)),
                              absl::UTCTimeZone());
    }
    return absl::FailedPreconditionError(
        absl::StrCat("the CA certificate expired at ", when));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<IssuedCertificate> CreateCertificateAuthority(
    absl::string_view common_name, absl::Duration validity,
    const Clock& clock) {
  RETURN_IF_ERROR(InitCrypto());
  RETURN_IF_ERROR(CheckCommonName(common_name));
  RETURN_IF_ERROR(CheckValidity(validity));
  ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert,
                   SelfSignedCa(key.get(), common_name, validity, clock));
  IssuedCertificate out;
  ASSIGN_OR_RETURN(out.certificate_pem, CertificateToPem(*cert));
  ASSIGN_OR_RETURN(out.private_key_pem, PrivateKeyToPkcs8Pem(*key));
  return out;
}

absl::StatusOr<std::string> SelfSignCertificateAuthority(
    const SecretBytes& key_pem, absl::string_view common_name,
    absl::Duration validity, const Clock& clock) {
  RETURN_IF_ERROR(InitCrypto());
  RETURN_IF_ERROR(CheckCommonName(common_name));
  RETURN_IF_ERROR(CheckValidity(validity));
  ASSIGN_OR_RETURN(EvpPkeyPtr key, ParsePrivateKeyPem(key_pem));
  ASSIGN_OR_RETURN(X509Ptr cert,
                   SelfSignedCa(key.get(), common_name, validity, clock));
  return CertificateToPem(*cert);
}

absl::StatusOr<IssuedCertificate> IssueCertificate(
    absl::string_view ca_certificate_pem, const SecretBytes& ca_key_pem,
    const CertificateSpec& spec, const Clock& clock) {
  RETURN_IF_ERROR(InitCrypto());
  RETURN_IF_ERROR(CheckSpec(spec));
  auto ca = ParseCertificatePem(ca_certificate_pem);
  if (!ca.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA certificate: ", ca.status().message()));
  }
  auto ca_key = ParsePrivateKeyPem(ca_key_pem);
  if (!ca_key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA key: ", ca_key.status().message()));
  }
  RETURN_IF_ERROR(CheckCaUsable(ca->get(), ca_key->get(), clock));

  ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert,
                   NewCertificate(spec.common_name, key.get(), ca->get(),
                                  spec.validity, clock));
  const char* eku =
      spec.usage == CertificateUsage::kServer ? "serverAuth" : "clientAuth";
  RETURN_IF_ERROR(
      AddExtensions(cert.get(), ca->get(),
                    {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, eku},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"}}));
  RETURN_IF_ERROR(AddSubjectAltNames(cert.get(), spec));
  RETURN_IF_ERROR(Sign(cert.get(), ca_key->get()));

  IssuedCertificate out;
  ASSIGN_OR_RETURN(out.certificate_pem, CertificateToPem(*cert));
  ASSIGN_OR_RETURN(out.private_key_pem, PrivateKeyToPkcs8Pem(*key));
  return out;
}

}  // namespace sejf::server
