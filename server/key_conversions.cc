#include "server/key_conversions.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/common_conversions.h"

namespace sejf::server {
namespace {

// DER as one PEM block of `label`, lines of 64 characters.
std::string DerToPem(absl::string_view der, absl::string_view label) {
  std::string b64 = absl::Base64Escape(der);
  std::string out = absl::StrCat("-----BEGIN ", label, "-----\n");
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&out, absl::string_view(b64).substr(i, 64), "\n");
  }
  absl::StrAppend(&out, "-----END ", label, "-----\n");
  return out;
}

}  // namespace

std::optional<hsm::KeyAlgorithm> AlgorithmFromProto(sejf::v1::KeyAlgorithm a) {
  switch (a) {
    case sejf::v1::KEY_ALGORITHM_EC_P256:
      return hsm::KeyAlgorithm::kEcP256;
    case sejf::v1::KEY_ALGORITHM_RSA_2048:
      return hsm::KeyAlgorithm::kRsa2048;
    default:
      return std::nullopt;
  }
}

std::optional<vault::KeyUsage> UsageFromProto(sejf::v1::KeyUsage u) {
  switch (u) {
    case sejf::v1::KEY_USAGE_AUTHENTICATION:
      return vault::KeyUsage::kAuthentication;
    case sejf::v1::KEY_USAGE_OFFLINE:
      return vault::KeyUsage::kOffline;
    default:
      return std::nullopt;
  }
}

absl::Status KeyToProto(const signer::Key& key, sejf::v1::Key* out) {
  const vault::KeyRecord& r = key.record;
  out->set_name(absl::StrCat("keys/", key.name));
  out->set_algorithm(r.algorithm == "rsa-2048"
                         ? sejf::v1::KEY_ALGORITHM_RSA_2048
                         : sejf::v1::KEY_ALGORITHM_EC_P256);
  out->set_usage(r.usage == vault::KeyUsage::kOffline
                     ? sejf::v1::KEY_USAGE_OFFLINE
                     : sejf::v1::KEY_USAGE_AUTHENTICATION);
  out->set_state(StateToProto(r.state));
  *out->mutable_create_time() = ToTimestamp(r.create_time);
  out->set_pkcs11_uri(r.pkcs11_uri);
  out->set_public_key_der(r.public_key_der);
  if (r.certificate) {
    const vault::KeyCertificate& c = *r.certificate;
    sejf::v1::Certificate* cert = out->mutable_certificate();
    cert->set_der(c.der);
    cert->set_pem(DerToPem(c.der, "CERTIFICATE"));
    cert->set_subject(c.subject);
    cert->set_issuer(c.issuer);
    cert->set_serial_number(c.serial);
    *cert->mutable_not_before() = ToTimestamp(c.not_before);
    *cert->mutable_not_after() = ToTimestamp(c.not_after);
    cert->set_sha256_fingerprint(c.sha256_fingerprint);
    for (const std::string& der : c.chain_der) out->add_chain_der(der);
  }
  return absl::OkStatus();
}

}  // namespace sejf::server
