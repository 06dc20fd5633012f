#include "signer/x509/csr.h"

#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"
#include "signer/x509/der.h"
#include "signer/x509/public_key.h"
#include "signer/x509/x509_signature.h"

namespace sejf::signer {

// OpenSSL 3.0 supports external signing of requests directly: the DER
// CertificationRequestInfo comes from i2d_re_X509_REQ_tbs, and
// X509_REQ_set1_signature_algo / X509_REQ_set0_signature fill in the rest.
absl::StatusOr<Csr> CreateCsr(absl::string_view spki_der,
                              const DistinguishedName& subject,
                              SignatureScheme scheme,
                              const ExternalSigner& signer) {
  ASSIGN_OR_RETURN(KsefPublicKey key, ParseKsefPublicKey(spki_der));
  RETURN_IF_ERROR(CheckSchemeFitsKey(scheme, key.type));
  if (!signer) {
    return absl::InvalidArgumentError(
        "no signer was given for the certificate request");
  }
  ASSIGN_OR_RETURN(X509NamePtr name, subject.ToX509Name());

  X509ReqPtr req(X509_REQ_new());
  if (req == nullptr) return OpenSslInternal("cannot allocate an X509_REQ");
  if (X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.key.get()) != 1) {
    return OpenSslInternal("cannot fill in the certificate request");
  }

  ASSIGN_OR_RETURN(std::string info, ToDer(i2d_re_X509_REQ_tbs, req.get(),
                                           "the CertificationRequestInfo"));
  ASSIGN_OR_RETURN(X509AlgorPtr algorithm, SignatureAlgorithm(scheme));
  ASSIGN_OR_RETURN(Asn1BitStringPtr signature,
                   SignToBitString(signer, scheme, key.type, info,
                                   "the certificate request"));
  if (X509_REQ_set1_signature_algo(req.get(), algorithm.get()) != 1) {
    return OpenSslInternal("cannot set the request's signature algorithm");
  }
  X509_REQ_set0_signature(req.get(), signature.release());

  // Re-read what we produce, so the checks below see exactly those bytes.
  ASSIGN_OR_RETURN(std::string der,
                   ToDer(i2d_X509_REQ, req.get(), "the certificate request"));
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509ReqPtr parsed(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (parsed == nullptr) {
    return OpenSslInternal("cannot re-read the certificate request");
  }
  if (X509_REQ_verify(parsed.get(), key.key.get()) != 1) {
    return OpenSslInternal(absl::StrCat(
        "the ", SignatureSchemeName(scheme),
        " signature on the certificate request does not verify with the "
        "given public key; did the signer use another key or scheme?"));
  }
  ASSIGN_OR_RETURN(std::string pem, DerToPem("CERTIFICATE REQUEST", der));
  return Csr{std::move(der), std::move(pem)};
}

}  // namespace sejf::signer
