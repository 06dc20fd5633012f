// A certificate authority run by the `openssl` command (an implementation
// independent of ours), for tests that need certificates and CRLs the way an
// operator's own tooling makes them. Not thread-safe; for tests only.
#ifndef SEJF_SERVER_TLS_TESTING_OPENSSL_CA_H_
#define SEJF_SERVER_TLS_TESTING_OPENSSL_CA_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sejf::server::tls_test {

class OpensslCa {
 public:
  // A new EC P-256 CA "CN=`common_name`" with its state in `dir` (created).
  static absl::StatusOr<OpensslCa> Create(const std::string& dir,
                                          const std::string& common_name);
  // The CA whose certificate and key are the PEM files given (e.g. the dev
  // CA of a `sejfd --dev` data directory), with its state in `dir`.
  static absl::StatusOr<OpensslCa> Existing(const std::string& dir,
                                            const std::string& ca_pem_path,
                                            const std::string& ca_key_path);

  const std::string& certificate_path() const { return ca_pem_; }

  // A client certificate with subject CN=`cn` (any text: '/' is escaped)
  // and, when not empty, a URI subjectAltName `uri_san` taken as it is (so
  // tests can make the malformed ones a careless CA would sign), valid one
  // day. Its PEM is in Path(name + ".pem"), its key in Path(name + ".key").
  absl::StatusOr<std::string> Issue(const std::string& name,
                                    const std::string& cn,
                                    const std::string& uri_san = "");

  // Marks the certificate in `cert_path` revoked.
  absl::Status Revoke(const std::string& cert_path);

  // The CRL of everything revoked so far: PEM, or DER with `der`.
  absl::StatusOr<std::string> Crl(bool der = false);

  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

 private:
  OpensslCa(std::string dir, std::string ca_pem, std::string ca_key)
      : dir_(std::move(dir)),
        ca_pem_(std::move(ca_pem)),
        ca_key_(std::move(ca_key)) {}
  absl::Status InitState();
  absl::Status Openssl(const std::string& args) const;
  std::string CaArgs() const;

  std::string dir_, ca_pem_, ca_key_;
};

}  // namespace sejf::server::tls_test

#endif  // SEJF_SERVER_TLS_TESTING_OPENSSL_CA_H_
