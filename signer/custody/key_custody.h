// Key custody: key pairs generated in the HSM and the metadata sejf keeps
// about them (vault/records/key_record.h), kept in step.
//
// The private key exists only in the hsm::KeyStore; the record in
// vault::Storage (kind "keys", record name = key name) says what the key is
// for, its state and its certificate.
//
// Label namespace. A key named NAME is created in the HSM with CKA_LABEL
// "sejf-key/NAME" (CustodyKeyLabel). Key names cannot contain '/', so no
// client-chosen name maps to one of sejf's internal labels ("sejf-audit",
// the KEKs "sejf-kek-vN") or to any label outside the namespace; names
// starting with "sejf-" are refused outright so that nobody believes they
// named an internal key. Keys generated before the namespace existed
// (CKA_LABEL = NAME) keep working: every later use goes by the recorded
// CKA_ID, never by label.
//
// Generate and crashes. Generate (1) chooses a random CKA_ID and records it
// in a key intent (key_intent.h) before anything exists in the HSM, (2)
// creates the pair with exactly that id, (3) inserts the key's record and
// deletes the intent in one transaction. A crash in between leaves an
// intent; the next Generate of the same name destroys only the object
// carrying the recorded id (and label), then starts again. An object found
// by label alone is never destroyed: when the label is taken by an object
// sejf did not record (another application's, in a shared token), Generate
// fails with ALREADY_EXISTS and leaves it untouched. Intents are not keys:
// Get and List never show them.
//
// Versions (key_versions.h): a key renewed through KSeF has successor
// versions "NAME@k", each a key of its own here. Get, Disable, Enable and
// Destroy of "NAME@k" act on that version; UsableFor(NAME) picks the newest
// usable version; Disable, Enable and Destroy of NAME act on every version
// (the credential's kill switch); List shows credentials (version 1), not
// versions — Versions lists them.
//
// Thread-safety: thread-safe. Concurrent changes to one key are serialised
// by the storage's optimistic versions: the loser gets ABORTED.
#ifndef SEJF_SIGNER_CUSTODY_KEY_CUSTODY_H_
#define SEJF_SIGNER_CUSTODY_KEY_CUSTODY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "hsm/key_store.h"
#include "signer/custody/import_key.h"
#include "signer/custody/key_intent.h"
#include "signer/custody/key_versions.h"
#include "signer/x509/csr.h"
#include "signer/x509/distinguished_name.h"
#include "signer/x509/signature_scheme.h"
#include "vault/records/decoded_record_cache.h"
#include "vault/records/key_record.h"
#include "vault/storage/storage.h"

namespace sejf::signer {

// The CKA_LABEL prefix of every custody key, and the key-name prefix
// reserved for sejf's own keys.
inline constexpr absl::string_view kCustodyLabelPrefix = "sejf-key/";
inline constexpr absl::string_view kReservedKeyNamePrefix = "sejf-";

// "sejf-key/" + name: the CKA_LABEL of the custody key `name`.
std::string CustodyKeyLabel(absl::string_view name);

// A key as callers see it: its name, its record and where it is stored.
struct Key {
  std::string name;
  int64_t version = 0;  // the record's storage version
  vault::KeyRecord record;
};

// A key that was usable for a purpose when KeyCustody::UsableFor returned
// it: active, of that usage, with a certificate valid at the custody's clock.
// Only KeyCustody makes one, and KeyCustody::Sign signs only with one. A
// copyable snapshot (a later disable is seen by the next UsableFor).
class UsableKey {
 public:
  const Key& key() const { return key_; }
  // The key's certificate (a usable key always has one).
  const vault::KeyCertificate& certificate() const {
    return *key_.record.certificate;
  }
  hsm::KeyAlgorithm algorithm() const { return ref_.algorithm; }

 private:
  friend class KeyCustody;
  UsableKey(Key key, hsm::KeyRef ref)
      : key_(std::move(key)), ref_(std::move(ref)) {}

  Key key_;
  hsm::KeyRef ref_;
};

struct KeyFilter {
  std::optional<vault::KeyUsage> usage;
  std::optional<vault::CredentialState> state;
  // Only keys whose signing certificate's notAfter is before now + this:
  // for a renewed key, that of the version that signs (Current), not
  // version 1's.
  std::optional<absl::Duration> expiring_within;
};

// What KeyCustody::Import takes (issue 15, docs/import.md).
struct KeyImport {
  std::string name = {};
  // The certificate, PEM (leaf first, then its chain) or one DER
  // certificate.
  std::string certificate_chain = {};
  // The private key wrapped for the import key (common/import_wrap.h).
  std::string wrapped_key = {};
  // Unset: from the certificate's keyUsage (digitalSignature ->
  // authentication, nonRepudiation -> offline).
  std::optional<vault::KeyUsage> usage = {};
};

struct KeyPage {
  std::vector<Key> keys;
  std::string next_page_token;  // empty on the last page
};

class KeyCustody {
 public:
  // `keys`, `storage` and `clock` must outlive this object.
  KeyCustody(hsm::KeyStore* keys, vault::Storage* storage, const Clock* clock);

  // A new key pair in the HSM (sensitive, never extractable; CKA_LABEL
  // CustodyKeyLabel(name)) and its record, state active. INVALID_ARGUMENT
  // for a bad name or one starting with "sejf-"; ALREADY_EXISTS when a key
  // of that name exists (also a destroyed one: names are never reused, so the
  // audit trail stays unambiguous) or when the HSM holds an object labelled
  // CustodyKeyLabel(name) that sejf did not create (left untouched);
  // ABORTED when a concurrent Generate of the same name won; UNAVAILABLE
  // when the HSM is away (try again: the retry cleans up).
  absl::StatusOr<Key> Generate(absl::string_view name,
                               hsm::KeyAlgorithm algorithm,
                               vault::KeyUsage usage);

  // An existing key and its certificate brought into custody (issue 15):
  // the private key is unwrapped by the HSM with the import key straight
  // into a token object (as Generate's: sensitive, never extractable,
  // CKA_LABEL CustodyKeyLabel(name)), then used exactly like a generated
  // key. Checked before anything is stored: the name (as Generate's), the
  // certificate (parses, valid now), the key (EC P-256 or RSA-2048), the
  // usage (given, or from keyUsage; its bit present), and that the key is
  // the certificate's (a test signature in the HSM verified with the
  // certificate's public key). Crash-safe like Generate (a key intent);
  // a failed import leaves no HSM object and no record. Errors:
  // INVALID_ARGUMENT tagged with the field ("key_id", "certificate_chain",
  // "wrapped_key", "usage") naming what to fix; ALREADY_EXISTS as
  // Generate; UNAVAILABLE.
  absl::StatusOr<Key> Import(const KeyImport& request);

  // The import key (signer/custody/import_key.h) on this custody's HSM.
  ImportKey& import_key() { return import_key_; }

  // NOT_FOUND naming the key when there is none. `name` may be a version's
  // ("NAME@2").
  absl::StatusOr<Key> Get(absl::string_view name);

  // Versions (key_versions.h). ReserveVersion: the next version number of
  // key `base` (recorded in its latest_version before anything else
  // exists); NOT_FOUND, FAILED_PRECONDITION for a destroyed key,
  // INVALID_ARGUMENT for a version's name. GenerateVersion: the HSM key
  // and record of reserved version `version` ("NAME@version", the usage of
  // version 1), like Generate. Versions: every version that exists, oldest
  // first (version 1 first). Current: the version UsableFor(base, its
  // usage) would sign with; when none may sign, the newest version with a
  // certificate, else version 1. DisableVersion: disables exactly one
  // version (1 = the key NAME itself).
  absl::StatusOr<int> ReserveVersion(absl::string_view base);
  absl::StatusOr<Key> GenerateVersion(absl::string_view base, int version,
                                      hsm::KeyAlgorithm algorithm);
  absl::StatusOr<std::vector<Key>> Versions(absl::string_view base);
  absl::StatusOr<Key> Current(absl::string_view base);
  absl::StatusOr<Key> DisableVersion(absl::string_view base, int version);

  // Keys in name order, filtered. `page_size` 0 means 50; at most 500.
  // `page_token` is a previous next_page_token (INVALID_ARGUMENT otherwise).
  absl::StatusOr<KeyPage> List(const KeyFilter& filter, int page_size,
                               absl::string_view page_token);

  // active ⇄ disabled. A disabled key signs nothing. FAILED_PRECONDITION for
  // a destroyed key. Setting the state a key already has is a no-op.
  absl::StatusOr<Key> Disable(absl::string_view name);
  absl::StatusOr<Key> Enable(absl::string_view name);

  // Removes the key pair from the HSM; the record stays, state destroyed
  // (for audit and so the name is not reused). Destroying a destroyed key is
  // a no-op. UNAVAILABLE when the HSM is away (the record is unchanged; try
  // again).
  absl::StatusOr<Key> Destroy(absl::string_view name);

  // A PKCS#10 request for `subject`, signed by the key in the HSM (ECDSA-
  // SHA256 for EC keys, RSA PKCS#1 v1.5 SHA-256 for RSA). FAILED_PRECONDITION
  // unless the key is active.
  absl::StatusOr<Csr> CreateCsr(absl::string_view name,
                                const DistinguishedName& subject);

  // A self-signed certificate (for the KSeF TEST environment), keyUsage by
  // the key's usage, valid `validity_days` from now, attached to the key.
  // FAILED_PRECONDITION unless the key is active; INVALID_ARGUMENT for days
  // outside 1..3650.
  absl::StatusOr<Key> SelfSign(absl::string_view name,
                               const DistinguishedName& subject,
                               int validity_days);

  // Attaches a certificate chain (PEM, or one DER certificate; leaf first)
  // to the key. INVALID_ARGUMENT for unparsable input; FAILED_PRECONDITION
  // when the leaf's public key is not the key's, its keyUsage does not fit
  // the key's usage, or the key is destroyed. Nothing changes on error.
  absl::StatusOr<Key> AttachCertificate(absl::string_view name,
                                        absl::string_view chain);

  // The key `name` (for a renewed key: its newest version) if it may sign
  // for `usage` now (the one rule for every
  // signer: KSeF login, KOD II, and later the broker and imported keys).
  // NOT_FOUND: no such key. FAILED_PRECONDITION saying what to do: "key X is
  // disabled" (or destroyed), "key X has usage offline, not authentication",
  // "key X has no certificate: …", "certificate of key X expired on …" /
  // "… is not valid until …". When no version of a renewed key may sign,
  // the error is that of the newest version with a certificate.
  absl::StatusOr<UsableKey> UsableFor(absl::string_view name,
                                      vault::KeyUsage usage);

  // Signs `data` with the HSM half of `key` (see hsm::KeyStore::Sign for
  // the signature's form); the key store's status on failure (e.g.
  // UNAVAILABLE when the HSM is away, INVALID_ARGUMENT when `scheme` does
  // not fit the key's algorithm). Thread-safe.
  absl::StatusOr<std::string> Sign(const UsableKey& key,
                                   hsm::SignatureScheme scheme,
                                   absl::string_view data) const;

  // The HSM handle of a key's private half, from its record. For code that
  // measures the HSM itself (bench/); signers use UsableFor and Sign.
  static hsm::KeyRef KeyRefOf(absl::string_view name,
                              const vault::KeyRecord& record);

 private:
  absl::StatusOr<Key> SetState(absl::string_view name,
                               vault::CredentialState state);
  // SetState of one record (no cascade over versions).
  absl::StatusOr<Key> SetStateOf(absl::string_view name,
                                 vault::CredentialState state);
  absl::StatusOr<Key> DestroyOne(absl::string_view name);
  // Generate's work for a name already checked (a credential's or a
  // version's).
  absl::StatusOr<Key> GenerateNamed(absl::string_view name,
                                    hsm::KeyAlgorithm algorithm,
                                    vault::KeyUsage usage);
  // Versions 2.. of `base` that exist, newest first.
  absl::StatusOr<std::vector<Key>> LaterVersions(const Key& base);
  // Generate's steps (see the file comment). RecordIntent returns the
  // intent's storage version; ALREADY_EXISTS when the key's record exists.
  absl::StatusOr<int64_t> RecordIntent(absl::string_view name,
                                       const KeyIntent& intent);
  // Destroys the HSM object `intent` names (by its id; not when that id
  // carries another label). OK when there is none.
  absl::Status DestroyRecordedKey(const KeyIntent& intent);
  // Deletes the intent of `name` if it is still `intent` (best effort).
  void AbandonIntent(absl::string_view name, const KeyIntent& intent);
  // The key, if active; FAILED_PRECONDITION saying its state otherwise.
  absl::StatusOr<Key> GetActive(absl::string_view name);
  // Stores `key.record` over version `key.version`; returns the new key.
  absl::StatusOr<Key> Save(Key key);
  // The key a stored record holds (decoded once per distinct bytes).
  absl::StatusOr<Key> Decode(const vault::Record& record);

  hsm::KeyStore* keys_;
  vault::Storage* storage_;
  const Clock* clock_;
  // Parsing a record's JSON was ~1/6 of a signature's CPU outside the HSM.
  vault::DecodedRecordCache<vault::KeyRecord> decoded_;
  ImportKey import_key_{keys_};
};

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_CUSTODY_KEY_CUSTODY_H_
