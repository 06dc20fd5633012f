// Reading a key and its certificate for `sejf key import` (issue 15,
// docs/import.md): PEM or DER; an encrypted PKCS#8 (PBES2, e.g.
// PBKDF2-HMAC-SHA256 + AES-256-CBC as the Ministry's certificate module
// writes), a plain PKCS#8, a traditional EC or RSA PEM key, or a PKCS#12
// (certificate chain kept). Everything is decrypted here, on the user's
// machine; the result is the PKCS#8 PrivateKeyInfo in zeroing memory, for
// WrapForImport (common/import_wrap.h), and the password never leaves.
//
// Passwords come from --password-file or, when there is none, from the
// terminal (/dev/tty) with echo off, asked only when the key is encrypted
// (a PKCS#12 always asks: press Enter for an empty password). Never argv.
//
// Thread-safety: not thread-safe (the terminal).
#ifndef SEJF_CLIENT_CLI_PRIVATE_KEY_FILE_H_
#define SEJF_CLIENT_CLI_PRIVATE_KEY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace sejf::client::cli {

struct KeyMaterial {
  // PEM certificates (leaf first) or one DER certificate, as the server
  // takes them.
  std::string certificate_chain;
  SecretBytes pkcs8;  // PrivateKeyInfo, DER
};

// `certificate_path` and `key_path` files; `password_file` may be empty.
// INVALID_ARGUMENT naming the file for unreadable, truncated or garbage
// input and for a wrong password.
absl::StatusOr<KeyMaterial> LoadKeyAndCertificate(
    const std::string& certificate_path, const std::string& key_path,
    const std::string& password_file);

// A PKCS#12 file: its key, its certificate and the CA certificates in it.
absl::StatusOr<KeyMaterial> LoadPkcs12(const std::string& path,
                                       const std::string& password_file);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_PRIVATE_KEY_FILE_H_
