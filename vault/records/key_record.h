// The metadata sejf keeps about a key pair whose private half lives in the
// HSM: what it is for, its state, and its certificate. Stored through
// vault::Storage as kind "keys", record name = the key's name.
//
// Stored format (EncodeKeyRecord): one JSON object, binary fields Base64:
//   {"format":1, "key_id":"<hex CKA_ID>", "algorithm":"ec-p256|rsa-2048",
//    "usage":"authentication|offline", "state":"active|disabled|destroyed",
//    "create_time_us":<unix µs>, "pkcs11_uri":"pkcs11:…",
//    "public_key":"<b64 SPKI DER>",
//    "certificate":{"der":"<b64>", "chain":["<b64>",…], "subject":"…",
//                   "issuer":"…", "serial":"<uppercase hex>",
//                   "not_before_us":…, "not_after_us":…,
//                   "sha256":"<uppercase hex>"},      (absent until attached)
//    "latest_version":3}   the highest version of the key reserved so far
//                          (signer/custody/key_versions.h); absent: 1
// Unknown members are ignored on read, so a newer writer's additions do not
// break an older reader. Nothing in it is secret.
#ifndef SEJF_VAULT_RECORDS_KEY_RECORD_H_
#define SEJF_VAULT_RECORDS_KEY_RECORD_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sejf::vault {

inline constexpr absl::string_view kKeyRecordKind = "keys";

// The highest version number a key may reach (renewals).
inline constexpr int kMaxKeyVersion = 9999;

// Lifecycle shared by keys and tokens.
enum class CredentialState { kActive, kDisabled, kDestroyed };

// The two KSeF certificate types; a key serves exactly one.
enum class KeyUsage { kAuthentication, kOffline };

// "active", "disabled", "destroyed"; "authentication", "offline".
absl::string_view CredentialStateName(CredentialState state);
absl::string_view KeyUsageName(KeyUsage usage);
std::optional<CredentialState> CredentialStateFromName(absl::string_view name);
std::optional<KeyUsage> KeyUsageFromName(absl::string_view name);

struct KeyCertificate {
  std::string der;                     // the leaf
  std::vector<std::string> chain_der;  // intermediates after the leaf
  std::string subject;                 // RFC 2253
  std::string issuer;                  // RFC 2253
  // The serial's value in uppercase hex, whole bytes, no DER sign byte: as
  // KSeF writes certificateSerialNumber and `openssl x509 -serial` prints
  // it ("8000000000000001", not "008000000000000001"; records written with
  // the sign byte are read without it).
  std::string serial;
  absl::Time not_before = absl::InfinitePast();
  absl::Time not_after = absl::InfinitePast();
  std::string sha256_fingerprint;  // uppercase hex of SHA-256(der)

  bool operator==(const KeyCertificate&) const = default;
};

struct KeyRecord {
  std::string key_id;     // the HSM's CKA_ID, lowercase hex
  std::string algorithm;  // "ec-p256" or "rsa-2048"
  KeyUsage usage = KeyUsage::kAuthentication;
  CredentialState state = CredentialState::kActive;
  absl::Time create_time = absl::InfinitePast();
  std::string pkcs11_uri;
  std::string public_key_der;  // SubjectPublicKeyInfo
  std::optional<KeyCertificate> certificate;
  // On a key's first version only: the highest version reserved (renewal,
  // signer/custody/key_versions.h); 1 for a key never renewed.
  int latest_version = 1;

  bool operator==(const KeyRecord&) const = default;
};

std::string EncodeKeyRecord(const KeyRecord& record);

// DATA_LOSS naming the problem when `data` is not a key record this version
// understands (corrupt JSON, a missing member, a bad enum value, another
// format number).
absl::StatusOr<KeyRecord> DecodeKeyRecord(absl::string_view data);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_RECORDS_KEY_RECORD_H_
