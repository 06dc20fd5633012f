#include "server/key_conversions.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace sejf::server {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

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

std::optional<vault::CredentialState> StateFromProto(
    sejf::v1::CredentialState s) {
  switch (s) {
    case sejf::v1::CREDENTIAL_STATE_ACTIVE:
      return vault::CredentialState::kActive;
    case sejf::v1::CREDENTIAL_STATE_DISABLED:
      return vault::CredentialState::kDisabled;
    case sejf::v1::CREDENTIAL_STATE_DESTROYED:
      return vault::CredentialState::kDestroyed;
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
  switch (r.state) {
    case vault::CredentialState::kActive:
      out->set_state(sejf::v1::CREDENTIAL_STATE_ACTIVE);
      break;
    case vault::CredentialState::kDisabled:
      out->set_state(sejf::v1::CREDENTIAL_STATE_DISABLED);
      break;
    case vault::CredentialState::kDestroyed:
      out->set_state(sejf::v1::CREDENTIAL_STATE_DESTROYED);
      break;
  }
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
