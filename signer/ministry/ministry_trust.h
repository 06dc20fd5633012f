// signer::MinistryTrust: the one rule "is this certificate a Ministry of
// Finance certificate for environment E at time T" (ksef-protocol.md §4.3).
// Tokens are encrypted to whatever certificate passes it, so it is the
// whole defence against a rogue recipient: the Ministry certificate store's
// import (and a future fetch) asks Admit, and token encryption asks
// CheckForUse again for the selected certificate at every use, because the
// database alone proves nothing (whoever can write it could swap a row).
//
// Per environment the configuration ([ksef.environments.NAME] in sejfd's
// file) may give:
//   - trust anchors: PEM roots and/or intermediates; a certificate is
//     trusted when OpenSSL's X509_verify_cert builds a chain from it to one
//     of them (any anchor ends a chain: X509_V_FLAG_PARTIAL_CHAIN), with
//     every certificate in the chain valid at the time of the check;
//   - pinned fingerprints: SHA-256 of certificate DER; a certificate with
//     one of them is trusted (no chain needed).
// When neither is configured, the environment has no configured trust:
// only an operator pin admits a certificate. The operator passes the
// fingerprint(s) with the import (sejf mfcert import --pin-fingerprint,
// after comparing them with the Ministry's published values); every
// certificate of the import must match one. The store then keeps a pin
// seal with the record: vault::Seal over the fingerprint, bound to the
// place {kind "mfcerts-pin", id "ENV/FINGERPRINT", version 1} under the
// keyring's data key (which only the HSM KEK unwraps). A row forged or
// swapped in the database has no seal that opens for its certificate.
// When trust IS configured it alone decides (operator pins may be given
// too, and must then match as well, but cannot admit a certificate the
// configuration refuses; seals of earlier operator pins are ignored).
//
// Every path also requires, of the certificate itself: not expired at the
// time (Admit accepts certificates not yet valid — planned rotation
// publishes them early, §4.3 — and then verifies the chain at their
// notBefore; CheckForUse requires validity now), and a purpose fit for
// token encryption: a keyUsage extension, when present, must include
// keyEncipherment (RSA-OAEP is key transport).
//
// Thread-safety: thread-safe (immutable after Create; the keyring is
// thread-safe).
#ifndef SEJF_SIGNER_MINISTRY_MINISTRY_TRUST_H_
#define SEJF_SIGNER_MINISTRY_MINISTRY_TRUST_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/openssl_ptr.h"
#include "signer/ministry/ministry_certificate.h"
#include "vault/crypto/keyring.h"

namespace sejf::signer {

// The record kind a pin seal is bound to (see above).
inline constexpr absl::string_view kMinistryPinSealKind = "mfcerts-pin";

// The trust of one environment, as configured.
struct MinistryTrustSettings {
  // PEM CERTIFICATE blocks (roots and/or intermediates); empty: none.
  std::string anchors_pem = {};
  // Where the anchors and pins come from, for messages, e.g.
  // "ksef.environments.test.mf_trust_anchors \"/etc/sejf/mf-ca.pem\"".
  std::string anchors_source = {};
  std::string pins_source = {};
  // SHA-256 of certificate DER, in any form NormalizeSha256Fingerprint
  // takes.
  std::vector<std::string> pinned_fingerprints = {};
};

// How a certificate was admitted (recorded, for people; never trusted).
// "anchors", "configured-pin", "operator-pin".
inline constexpr absl::string_view kTrustedByAnchors = "anchors";
inline constexpr absl::string_view kTrustedByConfiguredPin = "configured-pin";
inline constexpr absl::string_view kTrustedByOperatorPin = "operator-pin";
// What MinistryCertificateStore::List reports for a stored certificate that
// fails MinistryTrust::CheckForUse (e.g. a row altered in the database).
inline constexpr absl::string_view kTrustedByNone = "untrusted";

struct MinistryTrustGrant {
  std::string trusted_by;  // one of the kTrustedBy* above
  // For operator pins: the pin seal (binary, vault::Seal's layout) the
  // record must keep; empty otherwise.
  std::string pin_seal;
};

// 64 lowercase hex digits from "ab12…", "AB12…" or "AB:12:…" (a SHA-256
// fingerprint as openssl x509 -fingerprint -sha256 prints it).
// INVALID_ARGUMENT saying what is expected otherwise.
absl::StatusOr<std::string> NormalizeSha256Fingerprint(absl::string_view text);

class MinistryTrust {
 public:
  // `environments`: name → settings ("test", "demo", "prod" or custom).
  // `keyring` (not null) seals and opens operator pins; it must outlive
  // this object.
  // INVALID_ARGUMENT naming the source when anchors are not PEM
  // CERTIFICATE blocks (or none) or a pin is malformed.
  static absl::StatusOr<std::unique_ptr<MinistryTrust>> Create(
      const std::map<std::string, MinistryTrustSettings>& environments,
      vault::Keyring* keyring);

  ~MinistryTrust();

  // Whether `environment` has anchors or pinned fingerprints configured.
  bool HasConfiguredTrust(absl::string_view environment) const;

  // Decides whether `certificates` (parsed for an import into
  // `environment`) may be stored; all or none. `operator_pins` are the
  // request's fingerprints (any NormalizeSha256Fingerprint form).
  // Returns one grant per certificate, in order. Errors (nothing may be
  // stored):
  //   INVALID_ARGUMENT: a malformed pin, or more than
  //     kMaxMinistryCertificatesPerImport (these two tagged
  //     "pin_fingerprints", common/status_context.h); a certificate expired at
  //     `now`, without keyEncipherment, matching none of the operator pins, or
  //     refused by the configured trust (naming it, its fingerprint and
  //     OpenSSL's reason);
  //   FAILED_PRECONDITION: no configured trust and no operator pin — the
  //     message lists each certificate's SHA-256 fingerprint for the
  //     operator to compare with the Ministry's published values.
  absl::StatusOr<std::vector<MinistryTrustGrant>> Admit(
      absl::string_view environment,
      const std::vector<MinistryCertificate>& certificates,
      absl::Span<const std::string> operator_pins, absl::Time now) const;

  // OK when the stored `certificate` (environment, der, record_name and
  // pin_seal as read from storage) is trusted for its environment at
  // `now`. FAILED_PRECONDITION naming the certificate and environment
  // otherwise (not valid now, wrong purpose, refused by the configured
  // trust, or no configured trust and no pin seal that opens); DATA_LOSS
  // when the record's name does not match its certificate (a swapped row).
  absl::Status CheckForUse(const MinistryCertificate& certificate,
                           absl::Time now) const;

 private:
  struct Environment {
    X509StorePtr anchors;  // null: no anchors
    std::string anchors_source;
    std::vector<std::string> pins;  // normalized
  };

  explicit MinistryTrust(vault::Keyring* keyring);

  const Environment* Find(absl::string_view environment) const;
  // OK when `der` is trusted by the configuration of `env` at `at` (a
  // configured pin, or a chain to the anchors), setting `trusted_by`; else
  // a status of `code` naming `name` and OpenSSL's reason.
  absl::Status CheckConfigured(const Environment& env, absl::string_view name,
                               const std::string& der, absl::Time at,
                               absl::StatusCode code,
                               std::string* trusted_by) const;

  vault::Keyring* keyring_;
  std::map<std::string, Environment, std::less<>> environments_;
};

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_MINISTRY_MINISTRY_TRUST_H_
