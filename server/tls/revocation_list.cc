#include "server/tls/revocation_list.h"

#include <openssl/pem.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"

namespace sejf::server {
namespace {

using X509CrlPtr = OpenSslPtr<X509_CRL, X509_CRL_free>;

BioPtr MemoryBio(absl::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Every CRL in `data`: PEM blocks, else one DER CRL.
absl::StatusOr<std::vector<X509CrlPtr>> ReadCrls(absl::string_view data) {
  std::vector<X509CrlPtr> crls;
  if (absl::StrContains(data, "-----BEGIN X509 CRL-----")) {
    BioPtr bio = MemoryBio(data);
    while (X509_CRL* crl =
               PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
      crls.emplace_back(crl);
    }
    DrainOpenSslErrors();  // the end of the input
  } else {
    BioPtr bio = MemoryBio(data);
    if (X509_CRL* crl = d2i_X509_CRL_bio(bio.get(), nullptr)) {
      crls.emplace_back(crl);
    }
    DrainOpenSslErrors();
  }
  if (crls.empty()) {
    return absl::InvalidArgumentError(
        "holds no certificate revocation list (PEM \"X509 CRL\" blocks or "
        "one DER CRL)");
  }
  return crls;
}

absl::StatusOr<std::vector<X509Ptr>> ReadCertificates(absl::string_view pem) {
  std::vector<X509Ptr> certs;
  BioPtr bio = MemoryBio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  DrainOpenSslErrors();
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        "the client CA file holds no certificate");
  }
  return certs;
}

std::string NameDer(const X509_NAME* name) {
  unsigned char* der = nullptr;
  int len = i2d_X509_NAME(name, &der);
  if (len <= 0) {
    DrainOpenSslErrors();
    return "";
  }
  std::string out(reinterpret_cast<const char*>(der),
                  static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string SerialDer(const ASN1_INTEGER* serial) {
  unsigned char* der = nullptr;
  int len = i2d_ASN1_INTEGER(serial, &der);
  if (len <= 0) {
    DrainOpenSslErrors();
    return "";
  }
  std::string out(reinterpret_cast<const char*>(der),
                  static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

// Issuer DER, then serial DER: both are self-delimiting, so the pair is
// unambiguous.
std::string KeyOf(const X509_NAME* issuer, const ASN1_INTEGER* serial) {
  std::string issuer_der = NameDer(issuer);
  std::string serial_der = SerialDer(serial);
  if (issuer_der.empty() || serial_der.empty()) return "";
  return issuer_der + serial_der;
}

}  // namespace

std::string RevocationKey(const X509& cert) {
  return KeyOf(X509_get_issuer_name(&cert), X509_get0_serialNumber(&cert));
}

absl::StatusOr<std::shared_ptr<const RevocationList>> RevocationList::Parse(
    absl::string_view crl_data, absl::string_view ca_pem, absl::Time now,
    std::vector<std::string>* warnings) {
  absl::StatusOr<std::vector<X509CrlPtr>> crls = ReadCrls(crl_data);
  if (!crls.ok()) return crls.status();
  absl::StatusOr<std::vector<X509Ptr>> cas = ReadCertificates(ca_pem);
  if (!cas.ok()) return cas.status();

  std::shared_ptr<RevocationList> list(new RevocationList());
  for (std::size_t i = 0; i < crls->size(); ++i) {
    X509_CRL* crl = (*crls)[i].get();
    auto fail = [i](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate revocation list ", i + 1, " ", why));
    };
    bool verified = false;
    for (const X509Ptr& ca : *cas) {
      if (X509_NAME_cmp(X509_get_subject_name(ca.get()),
                        X509_CRL_get_issuer(crl)) != 0) {
        continue;
      }
      EVP_PKEY* key = X509_get0_pubkey(ca.get());
      if (key != nullptr && X509_CRL_verify(crl, key) == 1) {
        verified = true;
        break;
      }
    }
    DrainOpenSslErrors();
    if (!verified) {
      return fail(
          "is not signed by a certificate of the client CA file (tls.ca)");
    }
    const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(crl);
    if (warnings != nullptr && next_update != nullptr) {
      time_t now_t = absl::ToTimeT(now);
      if (X509_cmp_time(next_update, &now_t) < 0) {
        warnings->push_back(absl::StrCat(
            "certificate revocation list ", i + 1,
            " is past its nextUpdate; it still refuses what it lists, but "
            "issue a fresh one"));
      }
    }
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
    for (int k = 0; k < sk_X509_REVOKED_num(revoked); ++k) {
      const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, k);
      std::string key = KeyOf(X509_CRL_get_issuer(crl),
                              X509_REVOKED_get0_serialNumber(entry));
      if (key.empty()) return fail("has an entry OpenSSL cannot encode");
      list->revoked_.insert(std::move(key));
    }
  }
  return std::shared_ptr<const RevocationList>(std::move(list));
}

bool RevocationList::IsRevoked(const X509& cert) const {
  return IsRevoked(RevocationKey(cert));
}

bool RevocationList::IsRevoked(absl::string_view revocation_key) const {
  return revoked_.contains(revocation_key);
}

std::shared_ptr<const RevocationList> RevocationHolder::Get() const {
  absl::ReaderMutexLock lock(&mu_);
  return current_;
}

void RevocationHolder::Set(std::shared_ptr<const RevocationList> next) {
  absl::MutexLock lock(&mu_);
  current_ = std::move(next);
}

}  // namespace sejf::server
