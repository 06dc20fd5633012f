// The Ministry certificates pinned per KSeF environment, and the choice of
// the one a KSeF token is encrypted to (ksef-protocol.md §4.3).
//
// Environments: "test", "demo", "prod", or a custom name following the
// credential-name rule ([a-z0-9][a-z0-9._-]{0,63}, vault/records/
// credential_name.h); the store does not know which custom ones the server
// configures — that is the caller's check.
//
// Stored through vault::Storage as kind "mfcerts", record name
// "{environment}/{fingerprint}" (fingerprint = lowercase hex SHA-256 of the
// certificate DER, MinistryCertificate::Fingerprint()). Record data, one JSON
// object (binary fields Base64; nothing in it is secret):
//   {"format":1, "environment":"test",
//    "usages":["KsefTokenEncryption", ...],
//    "certificate_id":"<Base64>", "public_key_id":"<Base64>",
//    "spki_sha256":"<Base64>", "der":"<Base64 DER>",
//    "subject":"<RFC 2253>", "issuer":"<RFC 2253>", "serial":"<HEX>",
//    "valid_from_us":<unix µs>, "valid_to_us":<unix µs>,
//    "source":"json|pem|der", "import_time_us":<unix µs>,
//    "trusted_by":"anchors|configured-pin|operator-pin",
//    "pin_seal":"<Base64 of the pin seal>",   (operator pins only)
//    "retired_time_us":<unix µs>}             (retired certificates only)
// Unknown members are ignored on read; trusted_by and pin_seal may be
// absent (records from before trust was checked: MinistryTrust refuses
// them at use unless the configured trust admits them); a record without
// retired_time_us is not retired (records from before retirement existed).
//
// Nothing in a record is taken on trust: every certificate passes
// MinistryTrust (ministry_trust.h) at import, and the one selected for token
// encryption is checked again at use (KsefTokenEncryptor).
//
// Thread-safety: thread-safe (all state is in the Storage, which is).
#ifndef SEJF_SIGNER_MINISTRY_MINISTRY_CERTIFICATE_STORE_H_
#define SEJF_SIGNER_MINISTRY_MINISTRY_CERTIFICATE_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "signer/ministry/ministry_certificate.h"
#include "signer/ministry/ministry_trust.h"
#include "vault/storage/storage.h"

namespace sejf::signer {

inline constexpr absl::string_view kMinistryCertificateKind = "mfcerts";

// OK for "test", "demo", "prod" or a credential-rule name; INVALID_ARGUMENT
// naming "environment" otherwise.
absl::Status ValidateEnvironmentName(absl::string_view environment);

// What MinistryCertificateStore::ImportFromKsef changed, by fingerprint
// (MinistryCertificate::Fingerprint()), each list sorted.
struct MinistryCertificateRefresh {
  // What is stored for each certificate of KSeF's list, in its order.
  std::vector<MinistryCertificate> certificates;
  std::vector<std::string> added;      // not stored before
  std::vector<std::string> retired;    // stored, current, absent from the list
  std::vector<std::string> unretired;  // stored retired, listed again

  bool changed() const {
    return !added.empty() || !retired.empty() || !unretired.empty();
  }
};

struct MinistryCertificatePage {
  std::vector<MinistryCertificate> certificates;  // in record-name order
  std::string next_page_token;                    // empty on the last page
};

class MinistryCertificateStore {
 public:
  // `storage`, `trust` and `clock` must outlive this object.
  MinistryCertificateStore(vault::Storage* storage, const MinistryTrust* trust,
                           const Clock* clock);

  // Parses `content` (ParseMinistryCertificates; `usage` applies to PEM/DER
  // only), refusing certificates expired now, has every certificate admitted
  // by MinistryTrust::Admit (with the operator's `pin_fingerprints`), and
  // stores every certificate under `environment` in one transaction: all or
  // nothing. Idempotent per
  // certificate: importing a certificate already stored with the same
  // usages, ids and validity (as PEM, DER or JSON alike) changes nothing
  // (same version, same import_time); importing it with other usages, ids
  // or validity (e.g. a fresh JSON list) replaces them, and so does
  // importing it again when the stored record no longer passes
  // MinistryTrust::CheckForUse (an altered or pre-trust record is repaired).
  // Certificates stored earlier and absent from `content` are kept (an
  // operator's import is not a complete list); a retired certificate of
  // `content` is current again.
  // Returns what is stored for each certificate of `content`, in its order.
  // INVALID_ARGUMENT for a bad environment, content or pin, or a
  // certificate the trust refuses; FAILED_PRECONDITION when the environment
  // has no configured trust and no pin is given (the message lists the
  // fingerprints to compare); nothing changed then. Storage errors as
  // vault::Storage gives them (UNAVAILABLE, ABORTED, ...).
  absl::StatusOr<std::vector<MinistryCertificate>> Import(
      absl::string_view environment, absl::string_view content,
      MinistryCertificateUsage usage =
          MinistryCertificateUsage::kKsefTokenEncryption,
      absl::Span<const std::string> pin_fingerprints = {});

  // KSeF's list of `environment` (the JSON of GET
  // /security/public-key-certificates), stored as the complete list: its
  // certificates exactly as Import stores them (same trust rules,
  // `pin_fingerprints` as there), and, in the same transaction, every
  // certificate of `environment` stored and absent from the list is retired
  // (retire_time = now; one already retired keeps its time) and every
  // retired one the list holds again is current again. All or nothing:
  // when anything is refused, nothing is stored and nothing retired.
  // INVALID_ARGUMENT also when `json` is not a JSON list (PEM or DER is an
  // operator's file, not KSeF's list) or is empty; other errors as Import.
  // A damaged stored record is left as it is.
  absl::StatusOr<MinistryCertificateRefresh> ImportFromKsef(
      absl::string_view environment, absl::string_view json,
      absl::Span<const std::string> pin_fingerprints = {});

  // The certificates of `environment` (every environment when empty), in
  // record-name order (environment, then fingerprint). `page_size` 0 means
  // 50, at most 500; `page_token` is a previous next_page_token. Each
  // certificate's trusted_by is the stored one when it passes
  // MinistryTrust::CheckForUse now (at its notBefore if that is still
  // ahead), else kTrustedByNone.
  // INVALID_ARGUMENT for a bad environment, page size or page token.
  absl::StatusOr<MinistryCertificatePage> List(
      absl::string_view environment, int page_size = 0,
      absl::string_view page_token = "");

  // The certificate a KSeF token is encrypted to in `environment` at `now`
  // (§4.3 selection rule): usage KsefTokenEncryption, not retired, valid at
  // `now`, the
  // latest valid_from (ties: the later valid_to, then the smaller record
  // name). FAILED_PRECONDITION when there is none, saying "import with sejf
  // mfcert import --environment E"; INVALID_ARGUMENT for a bad environment;
  // DATA_LOSS when a stored record is unreadable. The choice is not a trust
  // decision: the caller checks it with MinistryTrust::CheckForUse.
  absl::StatusOr<MinistryCertificate> SelectForTokenEncryption(
      absl::string_view environment, absl::Time now);

 private:
  // Import and ImportFromKsef (`refresh` non-null: the authoritative list,
  // what changed is recorded there).
  absl::StatusOr<std::vector<MinistryCertificate>> DoImport(
      absl::string_view environment, absl::string_view content,
      MinistryCertificateUsage usage,
      absl::Span<const std::string> pin_fingerprints,
      MinistryCertificateRefresh* refresh);

  // Every stored certificate of `environment` (all when empty).
  absl::StatusOr<std::vector<MinistryCertificate>> LoadAll(
      absl::string_view environment);

  vault::Storage* storage_;
  const MinistryTrust* trust_;
  const Clock* clock_;
};

// The record format above (exposed for tests and tools).
std::string EncodeMinistryCertificateRecord(const MinistryCertificate& c);
// DATA_LOSS naming the problem when `data` is not such a record. Fills
// everything but record_name and version.
absl::StatusOr<MinistryCertificate> DecodeMinistryCertificateRecord(
    absl::string_view data);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_MINISTRY_MINISTRY_CERTIFICATE_STORE_H_
