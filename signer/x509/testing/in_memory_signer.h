// For tests only: a key pair in memory (OpenSSL) standing in for the HSM,
// with an ExternalSigner that answers as the HSM will (raw r||s for ECDSA,
// the raw signature for RSA). Not thread-safe to create; the signer it
// returns may be called from any thread while the InMemoryKey lives.
#ifndef SEJF_SIGNER_X509_TESTING_IN_MEMORY_SIGNER_H_
#define SEJF_SIGNER_X509_TESTING_IN_MEMORY_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/openssl_ptr.h"
#include "signer/x509/signature_scheme.h"

namespace sejf::signer::testing {

class InMemoryKey {
 public:
  // A fresh key pair; aborts the test binary if OpenSSL cannot make one.
  static InMemoryKey EcP256();
  static InMemoryKey Rsa(int bits);  // RSA-2048 for KSeF; others for errors
  static InMemoryKey EcCurve(const char* curve);  // e.g. "P-384"

  // The public key as DER SubjectPublicKeyInfo.
  const std::string& spki_der() const { return spki_der_; }
  // The private key as PKCS#8 PEM (to hand to the openssl command line).
  std::string PrivateKeyPem() const;

  // Signs with `scheme` as the HSM would. The InMemoryKey must outlive it.
  ExternalSigner Signer(SignatureScheme scheme) const;

  // Signs `data` directly (the function behind Signer).
  absl::StatusOr<std::string> Sign(SignatureScheme scheme,
                                   absl::string_view data) const;

 private:
  explicit InMemoryKey(EvpPkeyPtr key);
  EvpPkeyPtr key_;
  std::string spki_der_;
};

// Keys made once per test process (RSA generation takes a while) and never
// destroyed.
const InMemoryKey& SharedEcP256Key();
const InMemoryKey& SharedRsa2048Key();

}  // namespace sejf::signer::testing

#endif  // SEJF_SIGNER_X509_TESTING_IN_MEMORY_SIGNER_H_
