// PEM encoding and decoding of X.509 certificates and private keys.
//
// Private keys travel as SecretBytes: the PEM text of a key is as secret as
// the key. Every function is thread-safe (no shared state) and leaves this
// thread's OpenSSL error queue empty.
#ifndef SEJF_SERVER_TLS_PEM_H_
#define SEJF_SERVER_TLS_PEM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"
#include "common/secret.h"

namespace sejf::server {

// The first certificate in `pem`. INVALID_ARGUMENT when `pem` holds no
// parsable "CERTIFICATE" block.
absl::StatusOr<X509Ptr> ParseCertificatePem(absl::string_view pem);

// The unencrypted private key in `pem` (PKCS#8 or traditional format).
// INVALID_ARGUMENT when there is none or it is encrypted; never prompts for a
// passphrase.
absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(const SecretBytes& pem);

// `cert` as one "CERTIFICATE" PEM block. INTERNAL on OpenSSL failure.
absl::StatusOr<std::string> CertificateToPem(const X509& cert);

// `key` as an unencrypted PKCS#8 "PRIVATE KEY" PEM block, built in memory
// OpenSSL wipes when freed. INTERNAL on OpenSSL failure.
absl::StatusOr<SecretBytes> PrivateKeyToPkcs8Pem(const EVP_PKEY& key);

}  // namespace sejf::server

#endif  // SEJF_SERVER_TLS_PEM_H_
