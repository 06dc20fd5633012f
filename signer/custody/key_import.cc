// KeyCustody::Import (issue 15): an existing key and certificate brought
// into custody through the import key. The steps mirror Generate's
// (key_custody.cc): intent, HSM object with the recorded id, record and
// intent gone in one transaction; every failure after the intent removes
// what carries the recorded id.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/random.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "hsm/signatures.h"
#include "signer/custody/key_custody.h"
#include "signer/x509/certificate_info.h"
#include "vault/records/credential_name.h"

namespace sejf::signer {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view message) {
  return TagField(field, absl::InvalidArgumentError(message));
}

// The usage the certificate's keyUsage names, when it names one.
absl::StatusOr<vault::KeyUsage> UsageFromCertificate(
    const CertificateInfo& leaf) {
  if (!leaf.key_usage) {
    return Bad("usage",
               "the certificate has no keyUsage extension, so it does not say "
               "what it is for: give the usage (authentication or offline)");
  }
  const bool authentication = *leaf.key_usage & kKeyUsageDigitalSignature;
  const bool offline = *leaf.key_usage & kKeyUsageNonRepudiation;
  if (authentication && offline) {
    return Bad("usage",
               "the certificate's keyUsage has both digitalSignature and "
               "nonRepudiation: give the usage (authentication or offline)");
  }
  if (authentication) return vault::KeyUsage::kAuthentication;
  if (offline) return vault::KeyUsage::kOffline;
  return Bad("usage",
             "the certificate's keyUsage has neither digitalSignature "
             "(authentication) nor nonRepudiation (offline): it cannot sign "
             "for KSeF");
}

// The key algorithm of a certificate's public key, if sejf signs with it.
absl::StatusOr<hsm::KeyAlgorithm> AlgorithmOf(absl::string_view spki_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (key == nullptr) {
    DrainOpenSslErrors();
    return Bad("certificate_chain",
               "the certificate's public key does not parse");
  }
  const int type = EVP_PKEY_get_base_id(key.get());
  const int bits = EVP_PKEY_get_bits(key.get());
  if (type == EVP_PKEY_EC && EVP_PKEY_is_a(key.get(), "EC")) {
    char group[64] = {};
    std::size_t size = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                       group, sizeof(group), &size) == 1 &&
        absl::string_view(group) == "prime256v1") {
      return hsm::KeyAlgorithm::kEcP256;
    }
    return Bad("certificate_chain",
               absl::StrCat("the certificate's key is on EC curve ",
                            group[0] != 0 ? group : "(unnamed)",
                            ": sejf signs with EC P-256 and RSA-2048 keys "
                            "(P-384 and P-521 are not supported)"));
  }
  if (type == EVP_PKEY_RSA) {
    if (bits == 2048) return hsm::KeyAlgorithm::kRsa2048;
    return Bad("certificate_chain",
               absl::StrCat("the certificate's key is RSA-", bits,
                            bits < 2048 ? ", too weak" : ", not supported",
                            ": sejf signs with RSA-2048 and EC P-256 keys"));
  }
  return Bad("certificate_chain",
             "the certificate's key is neither EC nor RSA: sejf signs with "
             "EC P-256 and RSA-2048 keys");
}

}  // namespace

absl::StatusOr<Key> KeyCustody::Import(const KeyImport& request) {
  const absl::string_view name = request.name;
  RETURN_IF_ERROR(
      TagField("key_id", vault::ValidateCredentialName(name, "key name")));
  if (absl::StartsWith(name, kReservedKeyNamePrefix)) {
    return Bad("key_id",
               absl::StrCat("key name \"", name,
                            "\" is reserved: names starting with \"",
                            kReservedKeyNamePrefix,
                            "\" belong to sejf's own keys; choose another"));
  }
  absl::StatusOr<CertificateChain> chain =
      ParseCertificateChain(request.certificate_chain);
  if (!chain.ok()) {
    return TagField("certificate_chain",
                    absl::InvalidArgumentError(chain.status().message()));
  }
  const CertificateInfo& leaf = chain->leaf;
  const absl::Time now = clock_->Now();
  if (now < leaf.not_before) {
    return Bad("certificate_chain",
               absl::StrCat("the certificate is not valid until ",
                            absl::FormatTime(leaf.not_before)));
  }
  if (now > leaf.not_after) {
    return Bad("certificate_chain",
               absl::StrCat("the certificate expired on ",
                            absl::FormatTime(leaf.not_after)));
  }
  ASSIGN_OR_RETURN(const hsm::KeyAlgorithm algorithm,
                   AlgorithmOf(leaf.spki_der));
  vault::KeyUsage usage;
  if (request.usage) {
    usage = *request.usage;
  } else {
    ASSIGN_OR_RETURN(usage, UsageFromCertificate(leaf));
  }
  const CertificateUsage certificate_usage =
      usage == vault::KeyUsage::kOffline ? CertificateUsage::kOffline
                                         : CertificateUsage::kAuthentication;
  if (absl::Status fits =
          CheckCertificateFitsKey(leaf, leaf.spki_der, certificate_usage);
      !fits.ok()) {
    return Bad("usage", fits.message());
  }
  if (request.wrapped_key.empty()) {
    return Bad("wrapped_key", "no wrapped private key");
  }
  ASSIGN_OR_RETURN(std::optional<vault::Record> existing,
                   storage_->Get(vault::kKeyRecordKind, name));
  if (existing) {
    return absl::AlreadyExistsError(
        absl::StrCat("a key named \"", name,
                     "\" exists already (names of destroyed keys are not "
                     "reused); choose another name"));
  }

  // 1. The intent, before anything exists in the HSM.
  const KeyIntent intent{.key_id = RandomBytes(hsm::kKeyIdSize),
                         .label = CustodyKeyLabel(name)};
  ASSIGN_OR_RETURN(const int64_t intent_version, RecordIntent(name, intent));

  // Removes whatever carries the recorded id; the intent goes only once
  // that worked (else the next Generate or Import of the name finishes).
  auto undo = [&](absl::Status status) -> absl::Status {
    if (DestroyRecordedKey(intent).ok()) AbandonIntent(name, intent);
    return status;
  };

  // 2. Unwrapped by the HSM into a token object with exactly that id.
  absl::StatusOr<hsm::KeyRef> ref = keys_->UnwrapKeyPairWithId(
      intent.label, intent.key_id, request.wrapped_key, leaf.spki_der);
  if (absl::IsAlreadyExists(ref.status())) {
    AbandonIntent(name, intent);
    return absl::AlreadyExistsError(absl::StrCat(
        "the HSM token already holds a key labelled \"", intent.label,
        "\" that sejf did not create; sejf leaves it untouched: choose "
        "another key name"));
  }
  if (absl::IsInvalidArgument(ref.status())) {
    return undo(TagField("wrapped_key", ref.status()));
  }
  if (!ref.ok()) return undo(ref.status());
  if (ref->algorithm != algorithm) {
    return undo(Bad("wrapped_key",
                    "the private key is not of the certificate's key type"));
  }

  // 3. The key is the certificate's: a test signature made in the HSM,
  // verified with the certificate's public key.
  const hsm::SignatureScheme scheme =
      algorithm == hsm::KeyAlgorithm::kRsa2048
          ? hsm::SignatureScheme::kRsaPkcs1Sha256
          : hsm::SignatureScheme::kEcdsaSha256;
  const std::string challenge = absl::StrCat(
      "sejf key import check ", absl::BytesToHexString(RandomBytes(16)));
  absl::StatusOr<std::string> signature = keys_->Sign(*ref, scheme, challenge);
  if (!signature.ok()) return undo(signature.status());
  if (!hsm::VerifySignature(leaf.spki_der, scheme, challenge, *signature)
           .ok()) {
    return undo(Bad("wrapped_key",
                    "the private key does not belong to the certificate (a "
                    "test signature did not verify with the certificate's "
                    "public key)"));
  }

  vault::KeyRecord record;
  record.key_id = absl::BytesToHexString(ref->id);
  record.algorithm = std::string(hsm::KeyAlgorithmName(algorithm));
  record.usage = usage;
  record.state = vault::CredentialState::kActive;
  record.create_time = now;
  record.pkcs11_uri = ref->uri;
  record.public_key_der = leaf.spki_der;
  vault::KeyCertificate certificate;
  certificate.der = leaf.der;
  certificate.chain_der = chain->intermediates_der;
  certificate.subject = leaf.subject;
  certificate.issuer = leaf.issuer;
  certificate.serial = leaf.serial_hex;
  certificate.not_before = leaf.not_before;
  certificate.not_after = leaf.not_after;
  certificate.sha256_fingerprint = leaf.sha256_fingerprint;
  record.certificate = std::move(certificate);

  // 4. The record, and the intent gone, in one transaction.
  absl::StatusOr<vault::Record> stored =
      [&]() -> absl::StatusOr<vault::Record> {
    ASSIGN_OR_RETURN(auto txn,
                     storage_->Begin(vault::TransactionMode::kReadWrite));
    ASSIGN_OR_RETURN(std::optional<vault::Record> current,
                     txn->Get(kKeyIntentKind, name));
    if (!current || current->version != intent_version) {
      return absl::AbortedError(absl::StrCat(
          "another generate or import of key \"", name,
          "\" ran at the same time and replaced this one; try again"));
    }
    RETURN_IF_ERROR(txn->Delete(kKeyIntentKind, name, intent_version));
    ASSIGN_OR_RETURN(vault::Record r,
                     txn->Insert(vault::kKeyRecordKind, name,
                                 vault::EncodeKeyRecord(record)));
    RETURN_IF_ERROR(txn->Commit());
    return r;
  }();
  if (!stored.ok()) return undo(stored.status());
  return Key{std::string(name), stored->version, std::move(record)};
}

}  // namespace sejf::signer
