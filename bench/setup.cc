#include "bench/setup.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/ksef_context.h"
#include "common/openssl_ptr.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/pkcs11_key_store.h"
#include "hsm/token.h"
#include "signer/x509/distinguished_name.h"
#include "vault/storage/memory_storage.h"

namespace sejf::bench {
namespace {

// `status` with `what` (the call) before its message.
absl::Status Named(const absl::Status& status, absl::string_view what) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

struct BenchMinistryCertificate {
  std::string pem;
  std::string fingerprint;  // hex SHA-256 of the DER, the operator's pin
};

// A self-signed RSA-2048 certificate, PEM, as the Ministry publishes them,
// with the fingerprint an operator would pin it by (the bench daemon has no
// Ministry trust configured).
absl::StatusOr<BenchMinistryCertificate> MinistryCertificatePem() {
  EVP_PKEY* raw_key = EVP_RSA_gen(2048);
  if (raw_key == nullptr) return absl::InternalError("EVP_RSA_gen failed");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw_key,
                                                          EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("KSeF bench"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("PL"), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return absl::InternalError("X509_sign failed");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &digest_size) != 1) {
    return absl::InternalError("X509_digest failed");
  }
  return BenchMinistryCertificate{
      .pem = std::string(data, len),
      .fingerprint = absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(digest), digest_size))};
}

}  // namespace

absl::StatusOr<std::unique_ptr<client::Client>> ConnectAsAdmin(
    const std::string& data_dir, const std::string& address) {
  return client::Client::Connect({.address = address,
                                  .ca_file = data_dir + "/tls/ca.pem",
                                  .cert_file = data_dir + "/tls/admin.pem",
                                  .key_file = data_dir + "/tls/admin.key",
                                  .timeout = absl::Minutes(1)});
}

absl::Status SetUpServer(client::Client& client, const std::string& auth_key,
                         const std::string& token, const std::string& context) {
  RETURN_IF_ERROR(
      Named(client.keys()
                .Generate({.key_id = auth_key,
                           .algorithm = client::KeyAlgorithm::kEcP256,
                           .usage = client::KeyUsage::kAuthentication})
                .status(),
            "GenerateKey"));
  RETURN_IF_ERROR(Named(
      client.keys()
          .SelfSign(absl::StrCat("keys/", auth_key), "CN=sejf bench, C=PL", 30)
          .status(),
      "SelfSignCertificate"));
  ASSIGN_OR_RETURN(BenchMinistryCertificate mf, MinistryCertificatePem());
  RETURN_IF_ERROR(Named(
      client.ksef()
          .ImportMinistryCertificates(
              {.environment = "test",
               .content = mf.pem,
               .usage = client::MinistryCertificateUsage::kKsefTokenEncryption,
               .pin_fingerprints = {mf.fingerprint}})
          .status(),
      "ImportMinistryCertificates"));
  client::TokenImport import;
  import.token_id = token;
  import.context = context;
  import.permissions = {client::TokenPermission::kInvoiceRead};
  import.secret = SecretFromView(absl::StrCat("bench-token-", RandomHex(16)));
  RETURN_IF_ERROR(
      Named(client.tokens().Import(import).status(), "ImportToken"));
  return absl::OkStatus();
}

std::string NewChallenge() {
  const std::string date =
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone());
  const std::string hex = absl::AsciiStrToUpper(RandomHex(11));  // 22 chars
  return absl::StrCat(date, "-CR-", hex.substr(0, 10), "-", hex.substr(10, 10),
                      "-", hex.substr(20, 2));
}

double PeakRssMb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l = line;
    if (absl::ConsumePrefix(&l, "VmHWM:")) {
      l = absl::StripAsciiWhitespace(l);
      absl::ConsumeSuffix(&l, "kB");
      int64_t kb = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(l), &kb)) {
        return kb / 1024.0;
      }
    }
  }
  return 0;
}

double SelfPeakRssMb() { return PeakRssMb(getpid()); }

InProcessSigner::~InProcessSigner() {
  if (custody_ != nullptr) custody_->Destroy(key_name_).IgnoreError();
}

absl::Status InProcessSigner::SignOnce() {
  static const std::string kMessage(32, 'x');
  return keys_->Sign(key_, hsm::SignatureScheme::kEcdsaSha256, kMessage)
      .status();
}

absl::Status InProcessSigner::SignXadesOnce(const std::string& context) {
  ASSIGN_OR_RETURN(KsefContext parsed, ParseKsefContext(context, "context"));
  ASSIGN_OR_RETURN(signer::SignedAuthTokenRequest signed_request,
                   signer_->Sign({.key_name = key_name_,
                                  .challenge = NewChallenge(),
                                  .context = parsed}));
  if (signed_request.xml.empty()) return absl::InternalError("empty XML");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<InProcessSigner>> OpenInProcessSigner(
    const std::string& data_dir) {
  const std::string conf = data_dir + "/softhsm2.conf";
  setenv("SOFTHSM2_CONF", conf.c_str(), 1);
  ASSIGN_OR_RETURN(hsm::OpenedToken token,
                   hsm::OpenToken("/usr/lib/softhsm/libsofthsm2.so", "sejf",
                                  data_dir + "/hsm-pin"));
  std::unique_ptr<InProcessSigner> s(new InProcessSigner());
  ASSIGN_OR_RETURN(s->keys_,
                   hsm::pkcs11::Pkcs11KeyStore::Create(std::move(token)));
  const Clock& clock = SystemClock::Get();
  s->storage_ = std::make_unique<vault::MemoryStorage>(clock);
  s->custody_ = std::make_unique<signer::KeyCustody>(s->keys_.get(),
                                                     s->storage_.get(), &clock);
  s->signer_ =
      std::make_unique<signer::AuthTokenSigner>(s->custody_.get(), &clock);
  s->key_name_ = absl::StrCat("bench-inproc-", RandomHex(4));
  ASSIGN_OR_RETURN(
      signer::Key key,
      s->custody_->Generate(s->key_name_, hsm::KeyAlgorithm::kEcP256,
                            vault::KeyUsage::kAuthentication));
  ASSIGN_OR_RETURN(signer::DistinguishedName subject,
                   signer::DistinguishedName::Parse("CN=sejf bench, C=PL"));
  RETURN_IF_ERROR(s->custody_->SelfSign(s->key_name_, subject, 30).status());
  s->key_ = signer::KeyCustody::KeyRefOf(s->key_name_, key.record);
  return s;
}

}  // namespace sejf::bench
