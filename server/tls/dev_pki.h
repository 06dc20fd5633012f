// The development PKI of `sejfd --dev` (docs/architecture.md §7): one
// directory holding a self-signed CA, a server certificate for localhost and
// a client certificate for the identity "admin".
//
//   file        mode  content
//   ca.pem      0644  CA certificate, CN "sejf development CA"
//   ca.key      0600  CA private key
//   server.pem  0644  CN "localhost", SAN DNS:localhost IP:127.0.0.1 IP:::1,
//                     extendedKeyUsage serverAuth
//   server.key  0600
//   admin.pem   0644  CN "admin" (the identity "admin"), extendedKeyUsage
//                     clientAuth
//   admin.key   0600
//
// Keys are EC P-256 in unencrypted PKCS#8 PEM; certificates are made by
// server/tls/certificate_issuer.h. A client trusts ca.pem and presents
// admin.pem/admin.key; further client identities are issued from ca.pem and
// ca.key with IssueCertificate.
#ifndef SEJF_SERVER_TLS_DEV_PKI_H_
#define SEJF_SERVER_TLS_DEV_PKI_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace sejf::server {

inline constexpr absl::string_view kDevCaCommonName = "sejf development CA";
inline constexpr absl::string_view kDevServerCommonName = "localhost";
inline constexpr absl::string_view kDevAdminIdentity = "admin";
inline constexpr absl::Duration kDevCaValidity = absl::Hours(24 * 1826);
inline constexpr absl::Duration kDevLeafValidity = absl::Hours(24 * 730);

// The paths of the development PKI's files in `tls_dir`.
struct DevPkiFiles {
  std::string ca_certificate;      // ca.pem
  std::string ca_key;              // ca.key
  std::string server_certificate;  // server.pem
  std::string server_key;          // server.key
  std::string admin_certificate;   // admin.pem
  std::string admin_key;           // admin.key
};
DevPkiFiles DevPkiFilesIn(const std::string& tls_dir);

// Makes sure `tls_dir` holds the development PKI; times come from `clock`.
//
// First run: creates `tls_dir` (mode 0700; its parent must exist) and every
// file. Later runs leave existing files untouched (byte for byte), after
// checking that each key belongs to its certificate and each leaf was
// issued by ca.pem. A leaf with its certificate or key missing is re-issued
// (new key, new certificate) from the existing CA; a missing ca.pem is
// re-made from ca.key, so existing leaves still verify against it. Every
// file is written atomically, a key before its certificate, so a crash
// leaves a state the next run repairs.
//
// Errors (each names the files and says what to do):
//   FAILED_PRECONDITION  `tls_dir` is not a private directory; ca.key is
//                        missing while ca.pem or a leaf exists; a key file
//                        is readable by group or others; a file does not
//                        parse; a key does not belong to its certificate; a
//                        leaf was not issued by ca.pem; the CA expired.
//   others               from the file system (see common/files.h).
//
// Thread-safety: not safe to run concurrently (from any process) on the same
// directory; sejfd runs it once at start.
absl::Status EnsureDevPki(const std::string& tls_dir, const Clock& clock);

}  // namespace sejf::server

#endif  // SEJF_SERVER_TLS_DEV_PKI_H_
