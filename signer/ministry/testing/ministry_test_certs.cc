#include "signer/ministry/testing/ministry_test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/openssl_ptr.h"
#include "signer/ministry/ministry_certificate.h"

namespace sejf::signer::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test certificate: %s failed\n", what);
    std::abort();
  }
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S.0000000+00:00", t,
                          absl::UTCTimeZone());
}

// Made and signed by `issuer_key` under `issuer_name` (self-signed when
// both are null).
TestCert MakeCert(const TestCertOptions& options, X509_NAME* issuer_name,
                  EVP_PKEY* issuer_key) {
  EvpPkeyPtr key;
  switch (options.key) {
    case TestKeyType::kRsa2048:
      key.reset(EVP_RSA_gen(2048));
      break;
    case TestKeyType::kRsa1024:
      key.reset(EVP_RSA_gen(1024));
      break;
    case TestKeyType::kEcP256:
      key.reset(EVP_EC_gen("P-256"));
      break;
  }
  Check(key != nullptr, "key generation");
  X509Ptr cert(X509_new());
  Check(cert != nullptr, "X509_new");
  Check(X509_set_version(cert.get(), 2) == 1, "version");
  BignumPtr serial_bn(BN_new());
  Check(BN_rand(serial_bn.get(), 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1,
        "serial");
  Check(BN_to_ASN1_INTEGER(serial_bn.get(),
                           X509_get_serialNumber(cert.get())) != nullptr,
        "serial");
  X509_NAME* name = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("PL"),
                                   -1, -1, 0) == 1,
        "C");
  Check(X509_NAME_add_entry_by_txt(
            name, "CN", MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(options.common_name.c_str()),
            -1, -1, 0) == 1,
        "CN");
  Check(X509_set_issuer_name(cert.get(),
                             issuer_name != nullptr ? issuer_name : name) == 1,
        "issuer");
  Check(ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                      absl::ToTimeT(options.not_before)) != nullptr,
        "notBefore");
  Check(ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                      absl::ToTimeT(options.not_after)) != nullptr,
        "notAfter");
  Check(X509_set_pubkey(cert.get(), key.get()) == 1, "pubkey");
  auto add_extension = [&](int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, nullptr, cert.get(), nullptr, nullptr, 0);
    X509ExtensionPtr ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    Check(ext != nullptr, "extension");
    Check(X509_add_ext(cert.get(), ext.get(), -1) == 1, "add extension");
  };
  if (options.ca) {
    add_extension(NID_basic_constraints, "critical,CA:TRUE");
    add_extension(NID_key_usage, "critical,keyCertSign,cRLSign");
  } else if (!options.key_usage.empty()) {
    add_extension(NID_key_usage, options.key_usage);
  }
  Check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key.get(),
                  EVP_sha256()) > 0,
        "sign");

  TestCert out;
  unsigned char* der = nullptr;
  int size = i2d_X509(cert.get(), &der);
  Check(size > 0, "i2d_X509");
  out.der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  unsigned char* spki = nullptr;
  size = i2d_PUBKEY(key.get(), &spki);
  Check(size > 0, "i2d_PUBKEY");
  out.spki_der.assign(reinterpret_cast<char*>(spki),
                      static_cast<std::size_t>(size));
  OPENSSL_free(spki);
  BioPtr pem(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(pem.get(), cert.get()) == 1, "PEM cert");
  out.pem = BioString(pem.get());
  BioPtr key_pem(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0,
                                 nullptr, nullptr) == 1,
        "PEM key");
  out.key_pem = BioString(key_pem.get());
  return out;
}

}  // namespace

TestCert MakeTestCert(const TestCertOptions& options) {
  return MakeCert(options, nullptr, nullptr);
}

TestCert MakeIssuedTestCert(const TestCert& issuer,
                            const TestCertOptions& options) {
  const auto* p = reinterpret_cast<const unsigned char*>(issuer.der.data());
  X509Ptr issuer_cert(
      d2i_X509(nullptr, &p, static_cast<long>(issuer.der.size())));
  Check(issuer_cert != nullptr, "issuer certificate");
  BioPtr bio(BIO_new_mem_buf(issuer.key_pem.data(),
                             static_cast<int>(issuer.key_pem.size())));
  EvpPkeyPtr issuer_key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  Check(issuer_key != nullptr, "issuer key");
  return MakeCert(options, X509_get_subject_name(issuer_cert.get()),
                  issuer_key.get());
}

std::string JsonItem(const TestCert& cert,
                     const std::vector<std::string>& usages) {
  const auto* p = reinterpret_cast<const unsigned char*>(cert.der.data());
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(cert.der.size())));
  Check(x != nullptr, "d2i_X509");
  struct tm from {
  }, to{};
  Check(ASN1_TIME_to_tm(X509_get0_notBefore(x.get()), &from) == 1, "time");
  Check(ASN1_TIME_to_tm(X509_get0_notAfter(x.get()), &to) == 1, "time");
  std::vector<std::string> quoted;
  for (const std::string& u : usages)
    quoted.push_back(absl::StrCat("\"", u, "\""));
  return absl::StrCat(
      "{\"certificate\":\"", absl::Base64Escape(cert.der),
      "\",\"certificateId\":\"", Sha256Base64(cert.der),
      "\",\"publicKeyId\":\"", Sha256Base64(cert.spki_der),
      "\",\"validFrom\":\"", Rfc3339(absl::FromTM(from, absl::UTCTimeZone())),
      "\",\"validTo\":\"", Rfc3339(absl::FromTM(to, absl::UTCTimeZone())),
      "\",\"usage\":[", absl::StrJoin(quoted, ","), "]}");
}

std::string JsonList(const std::vector<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, ",\n "), "]");
}

}  // namespace sejf::signer::testing
