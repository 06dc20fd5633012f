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
#include "sejf/v1/key_custody.grpc.pb.h"
#include "sejf/v1/ksef_auth.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "signer/x509/distinguished_name.h"
#include "vault/storage/memory_storage.h"

namespace sejf::bench {
namespace {

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
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

absl::Status SetUpServer(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& auth_key, const std::string& token,
                         const std::string& context) {
  auto keys = v1::KeyCustody::NewStub(channel);
  {
    grpc::ClientContext ctx;
    v1::GenerateKeyRequest req;
    req.set_key_id(auth_key);
    req.set_algorithm(v1::KEY_ALGORITHM_EC_P256);
    req.set_usage(v1::KEY_USAGE_AUTHENTICATION);
    v1::GenerateKeyResponse resp;
    RETURN_IF_ERROR(
        FromGrpc(keys->GenerateKey(&ctx, req, &resp), "GenerateKey"));
  }
  {
    grpc::ClientContext ctx;
    v1::SelfSignCertificateRequest req;
    req.set_name(absl::StrCat("keys/", auth_key));
    req.set_subject("CN=sejf bench, C=PL");
    req.set_validity_days(30);
    v1::SelfSignCertificateResponse resp;
    RETURN_IF_ERROR(FromGrpc(keys->SelfSignCertificate(&ctx, req, &resp),
                             "SelfSignCertificate"));
  }
  auto ksef = v1::KsefAuth::NewStub(channel);
  {
    ASSIGN_OR_RETURN(BenchMinistryCertificate mf, MinistryCertificatePem());
    grpc::ClientContext ctx;
    v1::ImportMinistryCertificatesRequest req;
    req.set_environment("test");
    req.set_content(mf.pem);
    req.add_pin_fingerprints(mf.fingerprint);
    req.set_usage(v1::MINISTRY_CERTIFICATE_USAGE_KSEF_TOKEN_ENCRYPTION);
    v1::ImportMinistryCertificatesResponse resp;
    RETURN_IF_ERROR(FromGrpc(ksef->ImportMinistryCertificates(&ctx, req, &resp),
                             "ImportMinistryCertificates"));
  }
  auto tokens = v1::TokenVault::NewStub(channel);
  {
    grpc::ClientContext ctx;
    v1::ImportTokenRequest req;
    req.set_token_id(token);
    req.set_context(context);
    req.add_permissions(v1::TOKEN_PERMISSION_INVOICE_READ);
    req.set_secret(absl::StrCat("bench-token-", RandomHex(16)));
    v1::ImportTokenResponse resp;
    RETURN_IF_ERROR(
        FromGrpc(tokens->ImportToken(&ctx, req, &resp), "ImportToken"));
  }
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
