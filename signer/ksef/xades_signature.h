// XAdES-BES enveloped signatures over documents this code wrote itself in
// canonical form (ksef-protocol.md §5.1, §5.2, §5.6).
//
// Nothing is parsed or re-serialised: the caller hands over the document
// content already in exclusive canonical form (exc-C14N 1.0, e.g.
// AppendAuthTokenRequestContent), and the signature is written out directly
// in canonical form too, so each digest is taken over bytes written here.
// The tests check every canonical form below against libxml2's exclusive
// C14N of the finished document, and every signature with `xmlsec1 --verify`.
//
// Document produced: one line, no whitespace between elements; wrapped and
// indented here only. Abbreviations: DS = http://www.w3.org/2000/09/xmldsig#,
// XADES = http://uri.etsi.org/01903/v1.3.2#,
// EXC = http://www.w3.org/2001/10/xml-exc-c14n#,
// SHA256 = http://www.w3.org/2001/04/xmlenc#sha256,
// MORE = http://www.w3.org/2001/04/xmldsig-more#.
// clang-format off
//   <?xml version="1.0" encoding="UTF-8"?>
//   {content}                            e.g. <AuthTokenRequest …>…
//   <ds:Signature xmlns:ds="DS" Id="Signature">
//    <ds:SignedInfo>
//     <ds:CanonicalizationMethod Algorithm="EXC">
//       </ds:CanonicalizationMethod>
//     <ds:SignatureMethod Algorithm="MOREecdsa-sha256">
//       </ds:SignatureMethod>             (MORErsa-sha256 for RSA keys)
//     <ds:Reference URI="">
//      <ds:Transforms>
//       <ds:Transform Algorithm="DSenveloped-signature"></ds:Transform>
//       <ds:Transform Algorithm="EXC"></ds:Transform>
//      </ds:Transforms>
//      <ds:DigestMethod Algorithm="SHA256"></ds:DigestMethod>
//      <ds:DigestValue>{b64 SHA-256(content + root_end)}</ds:DigestValue>
//     </ds:Reference>
//     <ds:Reference Type="http://uri.etsi.org/01903#SignedProperties"
//                   URI="#SignedProperties">
//      <ds:Transforms>
//       <ds:Transform Algorithm="EXC"></ds:Transform>
//      </ds:Transforms>
//      <ds:DigestMethod Algorithm="SHA256"></ds:DigestMethod>
//      <ds:DigestValue>{b64 SHA-256(canonical SignedProperties)}
//        </ds:DigestValue>
//     </ds:Reference>
//    </ds:SignedInfo>
//    <ds:SignatureValue>{b64: ECDSA raw r||s (64 bytes) or RSA PKCS#1 v1.5}
//      </ds:SignatureValue>
//    <ds:KeyInfo><ds:X509Data>
//     <ds:X509Certificate>{b64 certificate DER}</ds:X509Certificate>
//    </ds:X509Data></ds:KeyInfo>
//    <ds:Object>
//     <xades:QualifyingProperties xmlns:xades="XADES" Target="#Signature">
//      <xades:SignedProperties Id="SignedProperties">
//       <xades:SignedSignatureProperties>
//        <xades:SigningTime>2026-05-20T10:00:00Z</xades:SigningTime>
//                                        (UTC, whole seconds)
//        <xades:SigningCertificate><xades:Cert>
//         <xades:CertDigest>
//          <ds:DigestMethod Algorithm="SHA256"></ds:DigestMethod>
//          <ds:DigestValue>{b64 SHA-256(certificate DER)}</ds:DigestValue>
//         </xades:CertDigest>
//         <xades:IssuerSerial>
//          <ds:X509IssuerName>{issuer, RFC 2253, XML-escaped}
//            </ds:X509IssuerName>
//          <ds:X509SerialNumber>{serial, positive decimal}
//            </ds:X509SerialNumber>
//         </xades:IssuerSerial>
//        </xades:Cert></xades:SigningCertificate>
//       </xades:SignedSignatureProperties>
//      </xades:SignedProperties>
//     </xades:QualifyingProperties>
//    </ds:Object>
//   </ds:Signature>
//   {root_end}                           e.g. </AuthTokenRequest>
// clang-format on
//
// What is signed: the canonical SignedInfo, which differs from the document's
// only in that its start tag carries xmlns:ds (exclusive C14N renders the
// declaration on the apex, which visibly uses the prefix). The canonical
// SignedProperties likewise carries xmlns:xades on its start tag and
// xmlns:ds on each ds: element inside it (their output ancestors do not use
// ds, so exclusive C14N declares it on each). The in-scope default namespace
// of the content is used by no element of the signature, so it is rendered
// nowhere in it. Empty elements are written as start-end pairs, as C14N does.
//
// Thread-safety: XadesCertificate is immutable once made; share it freely.
// The functions are thread-safe.
#ifndef SEJF_SIGNER_KSEF_XADES_SIGNATURE_H_
#define SEJF_SIGNER_KSEF_XADES_SIGNATURE_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "signer/x509/certificate_info.h"
#include "signer/x509/signature_scheme.h"

namespace sejf::signer {

enum class XadesSignatureMethod {
  kEcdsaSha256,  // EC P-256 keys; ExternalSigner scheme kEcdsaSha256
  kRsaSha256,    // RSA keys (2048 bits or more); kRsaPkcs1Sha256
};

// The SignatureMethod URI.
absl::string_view XadesSignatureMethodUri(XadesSignatureMethod method);

// Everything a signature needs from one certificate, worked out once: the
// signature method its key calls for, the KeyInfo element and the
// SigningCertificate property, both already written out.
class XadesCertificate {
 public:
  // From the certificate's DER. FAILED_PRECONDITION when its key is neither
  // EC P-256 nor RSA of at least 2048 bits (what KSeF accepts), or when its
  // issuer name cannot be written into XML (invalid UTF-8 or a control
  // character); INVALID_ARGUMENT when `der` is not one certificate.
  static absl::StatusOr<XadesCertificate> Create(absl::string_view der);

  const CertificateInfo& info() const { return info_; }
  XadesSignatureMethod method() const { return method_; }
  // The ExternalSigner scheme that goes with method().
  SignatureScheme scheme() const;
  // The size of a signature by the key: 64 for P-256, the modulus size for RSA.
  std::size_t signature_size() const { return signature_size_; }
  // The serial as a positive decimal number.
  const std::string& serial_decimal() const { return serial_decimal_; }

 private:
  friend absl::StatusOr<std::string> SignEnvelopedXades(absl::string_view,
                                                        absl::string_view,
                                                        const XadesCertificate&,
                                                        absl::Time,
                                                        const ExternalSigner&);
  XadesCertificate() = default;

  CertificateInfo info_;
  XadesSignatureMethod method_ = XadesSignatureMethod::kEcdsaSha256;
  std::size_t signature_size_ = 0;
  std::string serial_decimal_;
  std::string key_info_;  // <ds:KeyInfo>…</ds:KeyInfo>
  // <xades:SigningCertificate>…</xades:SigningCertificate> as in the
  // document, and in canonical form (xmlns:ds on each ds: element).
  std::string signing_certificate_;
  std::string signing_certificate_c14n_;
};

// Returns the document above: the XML declaration, `canonical_content`, the
// signature, `root_end`. `signer` is called once, with the canonical
// SignedInfo; it must sign as cert.scheme() says (ECDSA as raw r||s).
// `signing_time` is written in UTC with whole seconds (fractions dropped).
//
// Preconditions (not checked): `canonical_content` + `root_end` is one
// element in exclusive canonical form whose content has no ds: or xades:
// prefix declarations, and whose root start tag is first; `root_end` is its
// closing tag.
//
// Errors: the signer's status, code kept; INTERNAL when its signature does
// not have cert.signature_size() bytes.
absl::StatusOr<std::string> SignEnvelopedXades(
    absl::string_view canonical_content, absl::string_view root_end,
    const XadesCertificate& cert, absl::Time signing_time,
    const ExternalSigner& signer);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_KSEF_XADES_SIGNATURE_H_
