#include "signer/ksef/xades_signature.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"

namespace sejf::signer {
namespace {

constexpr absl::string_view kDsNs = "http://www.w3.org/2000/09/xmldsig#";
constexpr absl::string_view kXadesNs = "http://uri.etsi.org/01903/v1.3.2#";
constexpr absl::string_view kExcC14n =
    "http://www.w3.org/2001/10/xml-exc-c14n#";
constexpr absl::string_view kSha256 = "http://www.w3.org/2001/04/xmlenc#sha256";

// SHA-256, fetched once (the implicit fetch behind EVP_sha256() costs a
// lock and a lookup on every call).
const EVP_MD* Sha256() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

absl::StatusOr<std::string> Sha256Base64(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, Sha256(), nullptr) !=
      1) {
    return OpenSslInternal("SHA-256");
  }
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), size));
}

// Appends `text` escaped as exclusive C14N writes a text node (&, <, >, CR).
// FAILED_PRECONDITION when it is not UTF-8 or holds a character XML 1.0
// forbids (controls other than tab, LF, CR).
absl::Status AppendC14nText(absl::string_view text, std::string* out) {
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out->append("&amp;");
          break;
        case '<':
          out->append("&lt;");
          break;
        case '>':
          out->append("&gt;");
          break;
        case '\r':
          out->append("&#xD;");
          break;
        default:
          if (c < 0x20 && c != '\t' && c != '\n') {
            return absl::FailedPreconditionError(
                "the certificate's issuer name has a control character");
          }
          out->push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    // A multi-byte UTF-8 sequence: check its shape and take it as it is.
    std::size_t len = c >= 0xF0 && c <= 0xF4   ? 4
                      : c >= 0xE0              ? 3
                      : c >= 0xC2 && c <= 0xDF ? 2
                                               : 0;
    if (c >= 0xF5) len = 0;
    bool ok = len != 0 && i + len <= text.size();
    std::uint32_t cp = ok ? (c & (0x7F >> len)) : 0;
    for (std::size_t k = 1; ok && k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(text[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp == 0xFFFE || cp == 0xFFFF || (cp >= 0x80 && cp <= 0x9F)) {
      return absl::FailedPreconditionError(
          "the certificate's issuer name is not valid UTF-8 text");
    }
    out->append(text.data() + i, len);
    i += len;
  }
  return absl::OkStatus();
}

// The SigningCertificate property; `ds_decl` is "" in the document and
// " xmlns:ds=…" in canonical form.
absl::Status AppendSigningCertificate(absl::string_view cert_digest,
                                      absl::string_view issuer,
                                      absl::string_view serial,
                                      absl::string_view ds_decl,
                                      std::string* out) {
  absl::StrAppend(out,
                  "<xades:SigningCertificate><xades:Cert><xades:CertDigest>"
                  "<ds:DigestMethod",
                  ds_decl, " Algorithm=\"", kSha256,
                  "\"></ds:DigestMethod><ds:DigestValue", ds_decl, ">",
                  cert_digest,
                  "</ds:DigestValue></xades:CertDigest><xades:IssuerSerial>"
                  "<ds:X509IssuerName",
                  ds_decl, ">");
  RETURN_IF_ERROR(AppendC14nText(issuer, out));
  absl::StrAppend(out, "</ds:X509IssuerName><ds:X509SerialNumber", ds_decl, ">",
                  serial,
                  "</ds:X509SerialNumber></xades:IssuerSerial></xades:Cert>"
                  "</xades:SigningCertificate>");
  return absl::OkStatus();
}

// SignedInfo; `ds_decl` as above.
void AppendSignedInfo(XadesSignatureMethod method, absl::string_view ds_decl,
                      absl::string_view content_digest,
                      absl::string_view properties_digest, std::string* out) {
  absl::StrAppend(
      out, "<ds:SignedInfo", ds_decl,
      "><ds:CanonicalizationMethod Algorithm=\"", kExcC14n,
      "\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"",
      XadesSignatureMethodUri(method),
      "\"></ds:SignatureMethod><ds:Reference URI=\"\"><ds:Transforms>"
      "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/"
      "xmldsig#enveloped-signature\"></ds:Transform><ds:Transform "
      "Algorithm=\"",
      kExcC14n,
      "\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"",
      kSha256, "\"></ds:DigestMethod><ds:DigestValue>", content_digest);
  absl::StrAppend(
      out,
      "</ds:DigestValue></ds:Reference><ds:Reference "
      "Type=\"http://uri.etsi.org/01903#SignedProperties\" "
      "URI=\"#SignedProperties\"><ds:Transforms><ds:Transform Algorithm=\"",
      kExcC14n,
      "\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"",
      kSha256, "\"></ds:DigestMethod><ds:DigestValue>", properties_digest,
      "</ds:DigestValue></ds:Reference></ds:SignedInfo>");
}

// "YYYY-MM-DDThh:mm:ssZ".
void AppendUtcTime(absl::Time t, std::string* out) {
  const absl::CivilSecond s = absl::ToCivilSecond(t, absl::UTCTimeZone());
  char buf[32];
  const int n =
      std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
                    static_cast<int>(s.year()), s.month(), s.day(), s.hour(),
                    s.minute(), s.second());
  out->append(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace

absl::string_view XadesSignatureMethodUri(XadesSignatureMethod method) {
  return method == XadesSignatureMethod::kRsaSha256
             ? "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
             : "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
}

SignatureScheme XadesCertificate::scheme() const {
  return method_ == XadesSignatureMethod::kRsaSha256
             ? SignatureScheme::kRsaPkcs1Sha256
             : SignatureScheme::kEcdsaSha256;
}

absl::StatusOr<XadesCertificate> XadesCertificate::Create(
    absl::string_view der) {
  XadesCertificate cert;
  ASSIGN_OR_RETURN(cert.info_, ParseCertificate(der));

  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(cert.info_.der.data());
  X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(cert.info_.der.size())));
  if (!x509) return OpenSslInternal("reading the certificate");
  EVP_PKEY* key = X509_get0_pubkey(x509.get());
  if (key == nullptr) return OpenSslInternal("reading the certificate's key");
  if (EVP_PKEY_is_a(key, "EC")) {
    char curve[64] = {};
    size_t curve_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof(curve),
                                       &curve_len) != 1 ||
        absl::string_view(curve) != "prime256v1") {
      return absl::FailedPreconditionError(
          "the certificate's EC key is not on P-256, the curve KSeF accepts");
    }
    cert.method_ = XadesSignatureMethod::kEcdsaSha256;
    cert.signature_size_ = 64;
  } else if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < 2048) {
      return absl::FailedPreconditionError(
          "the certificate's RSA key is under 2048 bits; KSeF refuses it");
    }
    cert.method_ = XadesSignatureMethod::kRsaSha256;
    cert.signature_size_ = static_cast<std::size_t>(EVP_PKEY_get_size(key));
  } else {
    return absl::FailedPreconditionError(
        "the certificate's key is neither EC P-256 nor RSA");
  }

  BignumPtr serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509.get()), nullptr));
  if (!serial) return OpenSslInternal("reading the certificate's serial");
  if (BN_is_negative(serial.get())) {
    return absl::FailedPreconditionError(
        "the certificate's serial number is negative");
  }
  char* decimal = BN_bn2dec(serial.get());
  if (decimal == nullptr) return OpenSslInternal("writing the serial");
  cert.serial_decimal_ = decimal;
  OPENSSL_free(decimal);

  ASSIGN_OR_RETURN(std::string digest, Sha256Base64(cert.info_.der));
  cert.key_info_ =
      absl::StrCat("<ds:KeyInfo><ds:X509Data><ds:X509Certificate>",
                   absl::Base64Escape(cert.info_.der),
                   "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>");
  RETURN_IF_ERROR(AppendSigningCertificate(digest, cert.info_.issuer,
                                           cert.serial_decimal_, "",
                                           &cert.signing_certificate_));
  RETURN_IF_ERROR(
      AppendSigningCertificate(digest, cert.info_.issuer, cert.serial_decimal_,
                               absl::StrCat(" xmlns:ds=\"", kDsNs, "\""),
                               &cert.signing_certificate_c14n_));
  return cert;
}

absl::StatusOr<std::string> SignEnvelopedXades(
    absl::string_view canonical_content, absl::string_view root_end,
    const XadesCertificate& cert, absl::Time signing_time,
    const ExternalSigner& signer) {
  // Reference 1: the content with the signature removed (the enveloped
  // transform), which is already canonical.
  std::string buffer;
  buffer.reserve(canonical_content.size() + 1200);
  absl::StrAppend(&buffer, canonical_content, root_end);
  ASSIGN_OR_RETURN(const std::string content_digest, Sha256Base64(buffer));

  // Reference 2: SignedProperties, canonical.
  buffer.clear();
  absl::StrAppend(&buffer, "<xades:SignedProperties xmlns:xades=\"", kXadesNs,
                  "\" Id=\"SignedProperties\"><xades:SignedSignatureProperties>"
                  "<xades:SigningTime>");
  const std::size_t time_at = buffer.size();
  AppendUtcTime(signing_time, &buffer);
  const std::string time = buffer.substr(time_at);
  std::string signed_properties_tail = absl::StrCat(
      "</xades:SigningTime>", cert.signing_certificate_,
      "</xades:SignedSignatureProperties></xades:SignedProperties>");
  absl::StrAppend(
      &buffer, "</xades:SigningTime>", cert.signing_certificate_c14n_,
      "</xades:SignedSignatureProperties></xades:SignedProperties>");
  ASSIGN_OR_RETURN(const std::string properties_digest, Sha256Base64(buffer));

  // SignedInfo, canonical: what is signed.
  buffer.clear();
  AppendSignedInfo(cert.method_, absl::StrCat(" xmlns:ds=\"", kDsNs, "\""),
                   content_digest, properties_digest, &buffer);
  ASSIGN_OR_RETURN(const std::string signature, signer(buffer));
  if (signature.size() != cert.signature_size_) {
    return absl::InternalError(
        absl::StrCat("the signer returned ", signature.size(), " bytes; a ",
                     SignatureSchemeName(cert.scheme()), " signature has ",
                     cert.signature_size_));
  }

  std::string doc;
  doc.reserve(canonical_content.size() + buffer.size() + cert.key_info_.size() +
              cert.signing_certificate_.size() + 800);
  absl::StrAppend(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                  canonical_content, "<ds:Signature xmlns:ds=\"", kDsNs,
                  "\" Id=\"Signature\">");
  AppendSignedInfo(cert.method_, "", content_digest, properties_digest, &doc);
  absl::StrAppend(
      &doc, "<ds:SignatureValue>", absl::Base64Escape(signature),
      "</ds:SignatureValue>", cert.key_info_,
      "<ds:Object><xades:QualifyingProperties xmlns:xades=\"", kXadesNs,
      "\" Target=\"#Signature\"><xades:SignedProperties "
      "Id=\"SignedProperties\"><xades:SignedSignatureProperties>"
      "<xades:SigningTime>",
      time, signed_properties_tail,
      "</xades:QualifyingProperties></ds:Object></ds:Signature>", root_end);
  return doc;
}

}  // namespace sejf::signer
