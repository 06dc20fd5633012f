#include "server/tls/pem.h"

#include <openssl/pem.h>

#include <climits>

#include "common/openssl_error.h"

namespace sejf::server {
namespace {

// A read-only memory BIO over `data` (no copy); null when too large.
BioPtr ReadOnlyBio(absl::string_view data) {
  if (data.size() > static_cast<size_t>(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Refuses every passphrase request: keys here are never encrypted, and the
// default callback would prompt on the terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

absl::string_view MemoryBioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return absl::string_view(data, static_cast<size_t>(len));
}

}  // namespace

absl::StatusOr<X509Ptr> ParseCertificatePem(absl::string_view pem) {
  BioPtr bio = ReadOnlyBio(pem);
  if (!bio) return OpenSslInternal("cannot open certificate PEM");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!cert) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "not a PEM X.509 certificate");
  }
  return cert;
}

absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(const SecretBytes& pem) {
  BioPtr bio = ReadOnlyBio(SecretView(pem));
  if (!bio) return OpenSslInternal("cannot open private key PEM");
  EvpPkeyPtr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "not an unencrypted PEM private key");
  }
  return key;
}

absl::StatusOr<std::string> CertificateToPem(const X509& cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), &cert) != 1) {
    return OpenSslInternal("cannot PEM-encode certificate");
  }
  return std::string(MemoryBioContents(bio.get()));
}

absl::StatusOr<SecretBytes> PrivateKeyToPkcs8Pem(const EVP_PKEY& key) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0,
                                       nullptr, nullptr) != 1) {
    return OpenSslInternal("cannot PEM-encode private key");
  }
  return SecretFromView(MemoryBioContents(bio.get()));
}

}  // namespace sejf::server
