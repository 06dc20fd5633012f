#include "server/tls/testing/openssl_ca.h"

#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/tls/test_util.h"

namespace sejf::server::tls_test {

absl::StatusOr<OpensslCa> OpensslCa::Create(const std::string& dir,
                                            const std::string& common_name) {
  OpensslCa ca(dir, dir + "/ca.pem", dir + "/ca.key");
  if (absl::Status s = ca.InitState(); !s.ok()) return s;
  if (absl::Status s = ca.Openssl(
          "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
          "-subj '/CN=" +
          common_name + "' -days 2 -keyout " + ca.ca_key_ + " -out " +
          ca.ca_pem_);
      !s.ok()) {
    return s;
  }
  return ca;
}

absl::StatusOr<OpensslCa> OpensslCa::Existing(const std::string& dir,
                                              const std::string& ca_pem_path,
                                              const std::string& ca_key_path) {
  OpensslCa ca(dir, ca_pem_path, ca_key_path);
  if (absl::Status s = ca.InitState(); !s.ok()) return s;
  return ca;
}

absl::Status OpensslCa::InitState() {
  if (mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError("cannot create " + dir_);
  }
  const std::string config =
      absl::StrCat("[ca]\ndefault_ca = d\n[d]\ndatabase = ", Path("index.txt"),
                   "\ncrlnumber = ", Path("crlnumber"),
                   "\ndefault_md = sha256\ndefault_crl_days = 30\n");
  if (!WriteAll(Path("index.txt"), "", 0600) ||
      !WriteAll(Path("crlnumber"), "01\n", 0600) ||
      !WriteAll(Path("ca.cnf"), config, 0600)) {
    return absl::InternalError("cannot write the CA state in " + dir_);
  }
  return absl::OkStatus();
}

absl::Status OpensslCa::Openssl(const std::string& args) const {
  CommandResult r = RunOpenssl(args);
  if (r.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("openssl ", args, " failed:\n", r.output));
  }
  return absl::OkStatus();
}

std::string OpensslCa::CaArgs() const {
  return "-config " + Path("ca.cnf") + " -keyfile " + ca_key_ + " -cert " +
         ca_pem_;
}

absl::StatusOr<std::string> OpensslCa::Issue(const std::string& name,
                                             const std::string& cn,
                                             const std::string& uri_san) {
  const std::string extensions = Path(name + ".ext");
  if (!WriteAll(extensions,
                uri_san.empty() ? "" : "subjectAltName = URI:" + uri_san + "\n",
                0600)) {
    return absl::InternalError("cannot write " + extensions);
  }
  absl::Status s = Openssl(
      "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=" +
      absl::StrReplaceAll(cn, {{"/", "\\/"}}) + "' -keyout " +
      Path(name + ".key") + " -out " + Path(name + ".csr"));
  if (s.ok()) {
    s = Openssl("x509 -req -days 1 -in " + Path(name + ".csr") + " -CA " +
                ca_pem_ + " -CAkey " + ca_key_ + " -CAcreateserial -CAserial " +
                Path("serial") + " -extfile " + extensions + " -out " +
                Path(name + ".pem"));
  }
  if (!s.ok()) return s;
  chmod(Path(name + ".key").c_str(), 0600);
  return ReadAll(Path(name + ".pem"));
}

absl::Status OpensslCa::Revoke(const std::string& cert_path) {
  return Openssl("ca " + CaArgs() + " -revoke " + cert_path);
}

absl::StatusOr<std::string> OpensslCa::Crl(bool der) {
  if (absl::Status s =
          Openssl("ca " + CaArgs() + " -gencrl -out " + Path("crl.pem"));
      !s.ok()) {
    return s;
  }
  if (!der) return ReadAll(Path("crl.pem"));
  if (absl::Status s = Openssl("crl -in " + Path("crl.pem") +
                               " -outform DER -out " + Path("crl.der"));
      !s.ok()) {
    return s;
  }
  return ReadAll(Path("crl.der"));
}

}  // namespace sejf::server::tls_test
