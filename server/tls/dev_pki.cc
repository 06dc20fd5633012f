#include "server/tls/dev_pki.h"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto_init.h"
#include "common/files.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/secret.h"
#include "common/status_macros.h"
#include "server/tls/certificate_issuer.h"
#include "server/tls/pem.h"

namespace sejf::server {
namespace {

constexpr mode_t kDirectoryMode = 0700;
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertificateMode = 0644;

// A certificate file and its key file.
struct Pair {
  const std::string& certificate;
  const std::string& key;
};

// The CA as read from disk.
struct Ca {
  std::string certificate_pem;
  SecretBytes key_pem;
  X509Ptr certificate;
};

absl::Status Precondition(absl::string_view what) {
  return absl::FailedPreconditionError(what);
}

absl::StatusOr<X509Ptr> ReadCertificate(const std::string& path,
                                        std::string* pem) {
  ASSIGN_OR_RETURN(*pem, ReadFile(path));
  auto cert = ParseCertificatePem(*pem);
  if (!cert.ok()) {
    return Precondition(absl::StrCat(path, ": ", cert.status().message()));
  }
  return std::move(cert).value();
}

absl::StatusOr<EvpPkeyPtr> ReadKey(const std::string& path, SecretBytes* pem) {
  ASSIGN_OR_RETURN(*pem, ReadSecretFile(path));
  auto key = ParsePrivateKeyPem(*pem);
  if (!key.ok()) {
    return Precondition(absl::StrCat(path, ": ", key.status().message()));
  }
  return std::move(key).value();
}

absl::Status CheckKeyBelongs(const X509& cert, const EVP_PKEY& key,
                             Pair files) {
  if (X509_check_private_key(&cert, &key) != 1) {
    DrainOpenSslErrors();
    return Precondition(absl::StrCat(
        files.key, " does not belong to ", files.certificate, "; delete ",
        files.certificate, " and ", files.key, " to have them re-issued"));
  }
  return absl::OkStatus();
}

absl::Status WriteIssued(const IssuedCertificate& issued, Pair files) {
  RETURN_IF_ERROR(WriteFileAtomically(
      files.key, SecretView(issued.private_key_pem), kKeyMode));
  return WriteFileAtomically(files.certificate, issued.certificate_pem,
                             kCertificateMode);
}

// Creates or repairs ca.pem/ca.key and reads them.
absl::StatusOr<Ca> EnsureCa(const DevPkiFiles& files, const Clock& clock) {
  Pair ca_files{files.ca_certificate, files.ca_key};
  if (!PathExists(files.ca_key)) {
    std::vector<std::string> present;
    for (const std::string* path :
         {&files.ca_certificate, &files.server_certificate, &files.server_key,
          &files.admin_certificate, &files.admin_key}) {
      if (PathExists(*path)) present.push_back(*path);
    }
    if (!present.empty()) {
      return Precondition(absl::StrCat(
          files.ca_key, " is missing, so no certificate can be issued from ",
          "the existing development CA. To start a new development PKI, "
          "delete ",
          absl::StrJoin(present, " "),
          " (clients must then trust the new ca.pem)"));
    }
    ASSIGN_OR_RETURN(
        IssuedCertificate ca,
        CreateCertificateAuthority(kDevCaCommonName, kDevCaValidity, clock));
    RETURN_IF_ERROR(WriteIssued(ca, ca_files));
  } else if (!PathExists(files.ca_certificate)) {
    ASSIGN_OR_RETURN(SecretBytes key_pem, ReadSecretFile(files.ca_key));
    auto cert_pem = SelfSignCertificateAuthority(key_pem, kDevCaCommonName,
                                                 kDevCaValidity, clock);
    if (!cert_pem.ok()) {
      return Precondition(absl::StrCat("cannot re-make ", files.ca_certificate,
                                       " from ", files.ca_key, ": ",
                                       cert_pem.status().message()));
    }
    RETURN_IF_ERROR(
        WriteFileAtomically(files.ca_certificate, *cert_pem, kCertificateMode));
  }

  Ca ca;
  ASSIGN_OR_RETURN(ca.certificate,
                   ReadCertificate(files.ca_certificate, &ca.certificate_pem));
  ASSIGN_OR_RETURN(EvpPkeyPtr key, ReadKey(files.ca_key, &ca.key_pem));
  RETURN_IF_ERROR(CheckKeyBelongs(*ca.certificate, *key, ca_files));
  return ca;
}

// Keeps a complete, consistent leaf; re-issues an incomplete one.
absl::Status EnsureLeaf(const Ca& ca, Pair files, const CertificateSpec& spec,
                        const Clock& clock) {
  if (PathExists(files.certificate) && PathExists(files.key)) {
    std::string cert_pem;
    SecretBytes key_pem;
    ASSIGN_OR_RETURN(X509Ptr cert,
                     ReadCertificate(files.certificate, &cert_pem));
    ASSIGN_OR_RETURN(EvpPkeyPtr key, ReadKey(files.key, &key_pem));
    RETURN_IF_ERROR(CheckKeyBelongs(*cert, *key, files));
    EVP_PKEY* ca_public = X509_get0_pubkey(ca.certificate.get());
    if (X509_check_issued(ca.certificate.get(), cert.get()) != X509_V_OK ||
        ca_public == nullptr || X509_verify(cert.get(), ca_public) != 1) {
      DrainOpenSslErrors();
      return Precondition(absl::StrCat(
          files.certificate, " was not issued by the development CA in ",
          "ca.pem; delete ", files.certificate, " and ", files.key,
          " to have them re-issued"));
    }
    return absl::OkStatus();
  }
  auto issued = IssueCertificate(ca.certificate_pem, ca.key_pem, spec, clock);
  if (!issued.ok()) {
    return absl::Status(issued.status().code() == absl::StatusCode::kInternal
                            ? absl::StatusCode::kInternal
                            : absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("cannot issue ", files.certificate, ": ",
                                     issued.status().message()));
  }
  return WriteIssued(*issued, files);
}

}  // namespace

DevPkiFiles DevPkiFilesIn(const std::string& tls_dir) {
  auto in = [&](absl::string_view name) {
    return absl::StrCat(tls_dir, "/", name);
  };
  return DevPkiFiles{
      .ca_certificate = in("ca.pem"),
      .ca_key = in("ca.key"),
      .server_certificate = in("server.pem"),
      .server_key = in("server.key"),
      .admin_certificate = in("admin.pem"),
      .admin_key = in("admin.key"),
  };
}

absl::Status EnsureDevPki(const std::string& tls_dir, const Clock& clock) {
  RETURN_IF_ERROR(InitCrypto());
  RETURN_IF_ERROR(EnsureDirectory(tls_dir, kDirectoryMode,
                                  /*require_private=*/true));
  const DevPkiFiles files = DevPkiFilesIn(tls_dir);
  ASSIGN_OR_RETURN(Ca ca, EnsureCa(files, clock));

  CertificateSpec server;
  server.common_name = std::string(kDevServerCommonName);
  server.dns_sans = {"localhost"};
  server.ip_sans = {"127.0.0.1", "::1"};
  server.usage = CertificateUsage::kServer;
  server.validity = kDevLeafValidity;
  RETURN_IF_ERROR(EnsureLeaf(ca, {files.server_certificate, files.server_key},
                             server, clock));

  CertificateSpec admin;
  admin.common_name = std::string(kDevAdminIdentity);
  admin.usage = CertificateUsage::kClient;
  admin.validity = kDevLeafValidity;
  return EnsureLeaf(ca, {files.admin_certificate, files.admin_key}, admin,
                    clock);
}

}  // namespace sejf::server
