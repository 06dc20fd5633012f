#include "server/tls/revocation_list.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/pem_blocks.h"

namespace sejf::server {
namespace {

using X509CrlPtr = OpenSslPtr<X509_CRL, X509_CRL_free>;

X509CrlPtr CrlFromDer(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  DrainOpenSslErrors();
  return crl;
}

// Every CRL in `data`: PEM "X509 CRL" blocks, else one DER CRL.
absl::StatusOr<std::vector<X509CrlPtr>> ReadCrls(absl::string_view data) {
  absl::StatusOr<std::vector<PemBlock>> blocks = ReadPemBlocks(data);
  if (!blocks.ok()) return blocks.status();
  std::vector<X509CrlPtr> crls;
  for (const PemBlock& block : *blocks) {
    if (block.name != "X509 CRL") continue;
    X509CrlPtr crl = CrlFromDer(block.der);
    if (crl == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "certificate revocation list ", crls.size() + 1, " does not parse"));
    }
    crls.push_back(std::move(crl));
  }
  if (blocks->empty()) {
    if (X509CrlPtr crl = CrlFromDer(std::string(data))) {
      crls.push_back(std::move(crl));
    }
  }
  if (crls.empty()) {
    return absl::InvalidArgumentError(
        "holds no certificate revocation list (PEM \"X509 CRL\" blocks or "
        "one DER CRL)");
  }
  return crls;
}

absl::StatusOr<std::vector<X509Ptr>> ReadCertificates(absl::string_view pem) {
  absl::StatusOr<std::vector<PemBlock>> blocks = ReadPemBlocks(pem);
  if (!blocks.ok()) return blocks.status();
  std::vector<X509Ptr> certs;
  for (const PemBlock& block : *blocks) {
    if (block.name != "CERTIFICATE") continue;
    const unsigned char* p =
        reinterpret_cast<const unsigned char*>(block.der.data());
    if (X509* cert =
            d2i_X509(nullptr, &p, static_cast<long>(block.der.size()))) {
      certs.emplace_back(cert);
    }
    DrainOpenSslErrors();
  }
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        "the client CA file holds no certificate");
  }
  return certs;
}

// `value` DER-encoded by OpenSSL's `Encode` (i2d_…); "" on failure.
template <typename T, int (*Encode)(const T*, unsigned char**)>
std::string Der(const T* value) {
  unsigned char* der = nullptr;
  int len = Encode(value, &der);
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
  std::string issuer_der = Der<X509_NAME, i2d_X509_NAME>(issuer);
  std::string serial_der = Der<ASN1_INTEGER, i2d_ASN1_INTEGER>(serial);
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

}  // namespace sejf::server
