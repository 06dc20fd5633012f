#include "signer/x509/signature_scheme.h"

namespace sejf::signer {

absl::string_view SignatureSchemeName(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kEcdsaSha256:
      return "ecdsa-sha256";
    case SignatureScheme::kRsaPkcs1Sha256:
      return "rsa-pkcs1-sha256";
    case SignatureScheme::kRsaPssSha256:
      return "rsa-pss-sha256";
  }
  return "unknown";
}

}  // namespace sejf::signer
