#include "signer/ministry/ministry_trust.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/openssl_error.h"
#include "common/pem_blocks.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "vault/crypto/sealed_record.h"

namespace sejf::signer {
namespace {

std::string UtcText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

X509Ptr ParseDer(absl::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) DrainOpenSslErrors();
  return cert;
}

absl::StatusOr<absl::Time> Asn1Time(const ASN1_TIME* t) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError("has an unreadable validity time");
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

// "certificate 2 (CN=…, SHA-256 ab12…)".
std::string Named(std::size_t index, const MinistryCertificate& c) {
  return absl::StrCat("certificate ", index + 1, " (", c.subject,
                      ", SHA-256 fingerprint ", c.Fingerprint(), ")");
}

// The checks every path makes of the certificate itself, as of `now`
// (`allow_not_yet_valid` for imports). OK when it passes; otherwise the
// problem, in words that follow the certificate's name (the caller picks
// the status code).
absl::Status CheckCertificateItself(X509* cert, absl::Time now,
                                    bool allow_not_yet_valid) {
  ASSIGN_OR_RETURN(absl::Time not_before, Asn1Time(X509_get0_notBefore(cert)));
  ASSIGN_OR_RETURN(absl::Time not_after, Asn1Time(X509_get0_notAfter(cert)));
  if (not_after < now) {
    return absl::InvalidArgumentError(
        absl::StrCat("expired on ", UtcText(not_after)));
  }
  if (!allow_not_yet_valid && not_before > now) {
    return absl::InvalidArgumentError(
        absl::StrCat("is not valid before ", UtcText(not_before)));
  }
  // X509_get_key_usage is UINT32_MAX when the extension is absent (every
  // use allowed); it also makes OpenSSL cache the extensions.
  std::uint32_t usage = X509_get_key_usage(cert);
  if (usage != UINT32_MAX && (usage & KU_KEY_ENCIPHERMENT) == 0) {
    return absl::InvalidArgumentError(
        "has a keyUsage without keyEncipherment: it is not meant for "
        "encrypting KSeF tokens (RSA-OAEP key transport)");
  }
  return absl::OkStatus();
}

absl::StatusOr<X509StorePtr> LoadAnchors(absl::string_view pem,
                                         absl::string_view source) {
  absl::StatusOr<std::vector<PemBlock>> blocks = ReadPemBlocks(pem);
  if (!blocks.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", blocks.status().message()));
  }
  if (blocks->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source,
        ": holds no PEM CERTIFICATE block; it must hold the roots and/or "
        "intermediates the Ministry's certificates chain to"));
  }
  X509StorePtr store(X509_STORE_new());
  if (store == nullptr) return OpenSslInternal("cannot make an X509_STORE");
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    const PemBlock& block = (*blocks)[i];
    if (block.name != "CERTIFICATE") {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": PEM block ", i + 1, " is \"", block.name,
                       "\"; trust anchors must be CERTIFICATE blocks"));
    }
    X509Ptr cert = ParseDer(block.der);
    if (cert == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": PEM block ", i + 1, " is not an X.509 certificate"));
    }
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
      DrainOpenSslErrors();  // a duplicate anchor is harmless
    }
  }
  return store;
}

vault::SealedPlace PinPlace(const std::string& id) {
  return vault::SealedPlace{
      .kind = kMinistryPinSealKind, .id = id, .version = 1};
}

}  // namespace

absl::StatusOr<std::string> NormalizeSha256Fingerprint(absl::string_view text) {
  std::string hex;
  for (char ch : text) {
    if (ch != ':') hex.push_back(absl::ascii_tolower(ch));
  }
  bool ok = hex.size() == 64 &&
            std::all_of(hex.begin(), hex.end(), absl::ascii_isxdigit);
  if (!ok) {
    return absl::InvalidArgumentError(
        "is not a SHA-256 fingerprint: expected 64 hex digits, optionally "
        "as AA:BB:… pairs (openssl x509 -noout -fingerprint -sha256)");
  }
  return hex;
}

MinistryTrust::MinistryTrust(vault::Keyring* keyring) : keyring_(keyring) {}
MinistryTrust::~MinistryTrust() = default;

absl::StatusOr<std::unique_ptr<MinistryTrust>> MinistryTrust::Create(
    const std::map<std::string, MinistryTrustSettings>& environments,
    vault::Keyring* keyring) {
  std::unique_ptr<MinistryTrust> trust(new MinistryTrust(keyring));
  for (const auto& [name, settings] : environments) {
    Environment env;
    env.anchors_source = settings.anchors_source.empty()
                             ? absl::StrCat("trust anchors of ", name)
                             : settings.anchors_source;
    if (!settings.anchors_pem.empty()) {
      ASSIGN_OR_RETURN(env.anchors,
                       LoadAnchors(settings.anchors_pem, env.anchors_source));
    }
    for (std::size_t i = 0; i < settings.pinned_fingerprints.size(); ++i) {
      absl::StatusOr<std::string> pin =
          NormalizeSha256Fingerprint(settings.pinned_fingerprints[i]);
      if (!pin.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(settings.pins_source.empty()
                             ? absl::StrCat("pinned fingerprints of ", name)
                             : settings.pins_source,
                         "[", i, "] ", pin.status().message()));
      }
      env.pins.push_back(*std::move(pin));
    }
    if (env.anchors != nullptr || !env.pins.empty()) {
      trust->environments_.emplace(name, std::move(env));
    }
  }
  return trust;
}

const MinistryTrust::Environment* MinistryTrust::Find(
    absl::string_view environment) const {
  auto it = environments_.find(environment);
  return it == environments_.end() ? nullptr : &it->second;
}

bool MinistryTrust::HasConfiguredTrust(absl::string_view environment) const {
  return Find(environment) != nullptr;
}

absl::Status MinistryTrust::CheckConfigured(
    const Environment& env, absl::string_view name, const std::string& der,
    absl::Time at, absl::StatusCode code, std::string* trusted_by) const {
  std::string fingerprint = MinistryCertificate{.der = der}.Fingerprint();
  if (std::find(env.pins.begin(), env.pins.end(), fingerprint) !=
      env.pins.end()) {
    *trusted_by = std::string(kTrustedByConfiguredPin);
    return absl::OkStatus();
  }
  std::string reason = "no trust anchors are configured";
  if (env.anchors != nullptr) {
    X509Ptr cert = ParseDer(der);
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (cert == nullptr || ctx == nullptr ||
        X509_STORE_CTX_init(ctx.get(), env.anchors.get(), cert.get(),
                            nullptr) != 1) {
      return OpenSslInternal("cannot set up certificate verification");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(at));
    int verified = X509_verify_cert(ctx.get());
    int error = X509_STORE_CTX_get_error(ctx.get());
    DrainOpenSslErrors();
    if (verified == 1) {
      *trusted_by = std::string(kTrustedByAnchors);
      return absl::OkStatus();
    }
    reason = absl::StrCat("it does not chain to ", env.anchors_source, " (",
                          X509_verify_cert_error_string(error), ")");
  }
  return absl::Status(code,
                      absl::StrCat(name,
                                   " is not a Ministry certificate for this "
                                   "environment: ",
                                   reason,
                                   ", and its fingerprint is not among the "
                                   "configured mf_pinned_fingerprints"));
}

absl::StatusOr<std::vector<MinistryTrustGrant>> MinistryTrust::Admit(
    absl::string_view environment,
    const std::vector<MinistryCertificate>& certificates,
    absl::Span<const std::string> operator_pins, absl::Time now) const {
  if (operator_pins.size() > kMaxMinistryCertificatesPerImport) {
    return TagField("pin_fingerprints",
                    absl::InvalidArgumentError(absl::StrCat(
                        "pin_fingerprints has ", operator_pins.size(),
                        " entries; at most ", kMaxMinistryCertificatesPerImport,
                        " (one per certificate of an import)")));
  }
  std::vector<std::string> pins;
  for (std::size_t i = 0; i < operator_pins.size(); ++i) {
    absl::StatusOr<std::string> pin =
        NormalizeSha256Fingerprint(operator_pins[i]);
    if (!pin.ok()) {
      return TagField(
          "pin_fingerprints",
          absl::InvalidArgumentError(absl::StrCat("pin_fingerprints[", i, "] ",
                                                  pin.status().message())));
    }
    pins.push_back(*std::move(pin));
  }
  const Environment* env = Find(environment);
  if (env == nullptr && pins.empty()) {
    std::vector<std::string> listed;
    for (std::size_t i = 0; i < certificates.size(); ++i) {
      listed.push_back(Named(i, certificates[i]));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "environment ", environment,
        " has no Ministry trust configured ([ksef.environments.", environment,
        "] mf_trust_anchors or mf_pinned_fingerprints) and no fingerprint was "
        "pinned; compare ",
        absl::StrJoin(listed, "; "),
        " with the Ministry's published value and pin each with sejf mfcert "
        "import --pin-fingerprint SHA256; nothing was imported"));
  }
  std::vector<MinistryTrustGrant> grants;
  for (std::size_t i = 0; i < certificates.size(); ++i) {
    const MinistryCertificate& c = certificates[i];
    std::string name = Named(i, c);
    X509Ptr cert = ParseDer(c.der);
    if (cert == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " is not an X.509 certificate"));
    }
    absl::Status itself =
        CheckCertificateItself(cert.get(), now, /*allow_not_yet_valid=*/true);
    if (!itself.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " ", itself.message(), "; nothing was imported"));
    }
    std::string fingerprint = c.Fingerprint();
    if (!pins.empty() &&
        std::find(pins.begin(), pins.end(), fingerprint) == pins.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, " matches none of the pinned fingerprints (",
          absl::StrJoin(pins, ", "),
          "); check that the file is the Ministry's; nothing was imported"));
    }
    MinistryTrustGrant grant;
    if (env != nullptr) {
      ASSIGN_OR_RETURN(absl::Time not_before,
                       Asn1Time(X509_get0_notBefore(cert.get())));
      absl::Status configured = CheckConfigured(
          *env, name, c.der, std::max(now, not_before),
          absl::StatusCode::kInvalidArgument, &grant.trusted_by);
      if (!configured.ok()) {
        return absl::Status(
            configured.code(),
            absl::StrCat(configured.message(), "; nothing was imported"));
      }
    } else {
      grant.trusted_by = std::string(kTrustedByOperatorPin);
      std::string id = absl::StrCat(environment, "/", fingerprint);
      ASSIGN_OR_RETURN(grant.pin_seal,
                       vault::Seal(*keyring_, fingerprint, PinPlace(id)));
    }
    grants.push_back(std::move(grant));
  }
  return grants;
}

absl::Status MinistryTrust::CheckForUse(const MinistryCertificate& c,
                                        absl::Time now) const {
  std::string fingerprint = c.Fingerprint();
  std::string id = absl::StrCat(c.environment, "/", fingerprint);
  std::string name = absl::StrCat("Ministry certificate ",
                                  c.record_name.empty() ? id : c.record_name,
                                  " of environment ", c.environment);
  if (!c.record_name.empty() && c.record_name != id) {
    return absl::DataLossError(absl::StrCat(
        name, " holds a certificate of fingerprint ", fingerprint,
        ", not the one it was stored under: the database record was altered; "
        "nothing was encrypted (re-import the Ministry's certificate)"));
  }
  X509Ptr cert = ParseDer(c.der);
  if (cert == nullptr) {
    return absl::DataLossError(
        absl::StrCat(name, " cannot be read; nothing was encrypted"));
  }
  absl::Status itself =
      CheckCertificateItself(cert.get(), now, /*allow_not_yet_valid=*/false);
  if (!itself.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(name, " ", itself.message(), "; nothing was encrypted"));
  }
  if (const Environment* env = Find(c.environment); env != nullptr) {
    std::string trusted_by;
    absl::Status configured =
        CheckConfigured(*env, name, c.der, now,
                        absl::StatusCode::kFailedPrecondition, &trusted_by);
    if (!configured.ok()) {
      return absl::Status(
          configured.code(),
          absl::StrCat(configured.message(), "; nothing was encrypted"));
    }
    return absl::OkStatus();
  }
  bool sealed = false;
  if (!c.pin_seal.empty()) {
    absl::StatusOr<SecretBytes> opened =
        vault::Open(*keyring_, c.pin_seal, PinPlace(id));
    sealed = opened.ok() &&
             absl::string_view(reinterpret_cast<const char*>(opened->data()),
                               opened->size()) == fingerprint;
  }
  if (!sealed) {
    return absl::FailedPreconditionError(absl::StrCat(
        name,
        " is not trusted: the environment has no Ministry trust configured "
        "and the record carries no valid operator pin (it was not imported "
        "with a pinned fingerprint, or the database record was altered); "
        "nothing was encrypted. Re-import the Ministry's certificate with "
        "sejf mfcert import --pin-fingerprint, or configure "
        "[ksef.environments.",
        c.environment, "]"));
  }
  return absl::OkStatus();
}

}  // namespace sejf::signer
