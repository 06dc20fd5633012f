// The Ministry of Finance's public-key certificates (ksef-protocol.md §4.3):
// the keys KSeF tokens are encrypted to, as an administrator imports them.
//
// Accepted input (ParseMinistryCertificates):
//   - the JSON array returned by GET /security/public-key-certificates
//     (OpenAPI schema PublicKeyCertificate; every member required):
//       [{"certificate":"<Base64 DER>", "certificateId":"<Base64>",
//         "publicKeyId":"<Base64>", "validFrom":"<RFC 3339>",
//         "validTo":"<RFC 3339>", "usage":["KsefTokenEncryption", ...]}, ...]
//     usages, certificateId and publicKeyId are taken from the JSON: they are
//     KSeF's own selectors (§4.3: "always take IDs from the live endpoint");
//   - PEM with one or more CERTIFICATE blocks (each a separate Ministry
//     certificate, not a chain), or the DER of one certificate; the usage is
//     the caller's (the CLI's --usage, default KsefTokenEncryption) and the
//     ids are derived as §4.3 defines them: certificateId = Base64(SHA-256
//     (certificate DER)), publicKeyId = Base64(SHA-256(SPKI DER)).
//
// Refused with INVALID_ARGUMENT naming the item ("certificate list item [2]",
// "PEM certificate 1", "DER certificate") and the problem: malformed JSON or
// Base64, a missing member, an unknown usage, an unparsable certificate, a
// key other than RSA or RSA under 2048 bits (token encryption is RSA-OAEP,
// §4.2), a certificate already expired, the same certificate twice.
// Certificates not yet valid are accepted (planned rotation publishes them
// ahead of time, §4.3).
//
// Thread-safety: plain values and functions without shared state.
#ifndef SEJF_SIGNER_MINISTRY_MINISTRY_CERTIFICATE_H_
#define SEJF_SIGNER_MINISTRY_MINISTRY_CERTIFICATE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sejf::signer {

// PublicKeyCertificateUsage (OpenAPI).
enum class MinistryCertificateUsage {
  kKsefTokenEncryption,     // encrypting KSeF tokens at authentication
  kSymmetricKeyEncryption,  // wrapping the AES keys of invoice sessions
};

// "KsefTokenEncryption", "SymmetricKeyEncryption" (the KSeF JSON names).
absl::string_view MinistryCertificateUsageName(MinistryCertificateUsage usage);
std::optional<MinistryCertificateUsage> MinistryCertificateUsageFromName(
    absl::string_view name);

// Where an imported certificate came from.
enum class MinistryCertificateSource { kJson, kPem, kDer };
// "json", "pem", "der".
absl::string_view MinistryCertificateSourceName(
    MinistryCertificateSource source);

// Every member has an initializer, so designated initializers may name only
// some.
struct MinistryCertificate {
  // Set by MinistryCertificateStore: "test", "demo", "prod" or a custom
  // environment name.
  std::string environment = {};
  // Sorted (enum order), no duplicates, never empty.
  std::vector<MinistryCertificateUsage> usages = {};
  // KSeF's certificateId (Base64): from the JSON, or derived (see above).
  std::string certificate_id = {};
  // KSeF's publicKeyId (Base64, 44 characters): what POST /auth/ksef-token
  // names as the key used. From the JSON, or derived (see above).
  std::string public_key_id = {};
  // Base64(SHA-256(SPKI DER)) computed by sejf; equals public_key_id unless
  // the JSON said otherwise (recorded so a mismatch can be seen).
  std::string spki_sha256 = {};
  // The certificate, DER.
  std::string der = {};
  std::string subject = {};     // RFC 2253, UTF-8
  std::string issuer = {};      // RFC 2253, UTF-8
  std::string serial_hex = {};  // uppercase hex
  // The stricter of the certificate's notBefore/notAfter and, for JSON
  // imports, validFrom/validTo: never used outside either.
  absl::Time valid_from = absl::InfinitePast();
  absl::Time valid_to = absl::InfinitePast();
  MinistryCertificateSource source = MinistryCertificateSource::kJson;
  // Set by the store from MinistryTrust::Admit (ministry_trust.h): how the
  // certificate was admitted ("anchors", "configured-pin", "operator-pin";
  // for people, never trusted), and for operator pins the pin seal that
  // MinistryTrust::CheckForUse opens at every use.
  std::string trusted_by = {};
  std::string pin_seal = {};
  // Set by the store (MinistryCertificateStore::ImportFromKsef): when the
  // certificate was found missing from KSeF's list of the environment. A
  // retired certificate is kept (for listing and audit) but never chosen for
  // a new encryption; nullopt while it is current.
  std::optional<absl::Time> retire_time = std::nullopt;
  // Set by the store: when this content was first stored, its record name
  // and storage version.
  absl::Time import_time = absl::InfinitePast();
  std::string record_name = {};
  std::int64_t version = 0;

  bool HasUsage(MinistryCertificateUsage usage) const;
  // valid_from <= t <= valid_to.
  bool ValidAt(absl::Time t) const;
  // Lowercase hex SHA-256 of `der`: the certificate's stable id within an
  // environment (URL- and file-name safe, unlike certificate_id).
  std::string Fingerprint() const;
};

// At most this many certificates in one import.
inline constexpr std::size_t kMaxMinistryCertificatesPerImport = 64;
// The smallest RSA modulus accepted, in bits.
inline constexpr int kMinMinistryRsaBits = 2048;

// Parses `content` (JSON, PEM or DER; recognised by its first bytes), with
// `usage` for PEM/DER input (ignored for JSON), refusing certificates
// expired at `now`. Leaves `environment`, `import_time`, `record_name` and
// `version` unset. Errors as described at the top of this file.
absl::StatusOr<std::vector<MinistryCertificate>> ParseMinistryCertificates(
    absl::string_view content, MinistryCertificateUsage usage, absl::Time now);

// Base64(SHA-256(data)), as KSeF writes certificateId and publicKeyId.
std::string Sha256Base64(absl::string_view data);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_MINISTRY_MINISTRY_CERTIFICATE_H_
