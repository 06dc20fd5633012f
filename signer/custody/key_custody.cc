#include "signer/custody/key_custody.h"

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/crash_point.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "signer/x509/certificate_info.h"
#include "signer/x509/self_signed.h"
#include "vault/records/credential_name.h"

namespace sejf::signer {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

absl::Status NameTaken(absl::string_view name) {
  return absl::AlreadyExistsError(
      absl::StrCat("a key named \"", name,
                   "\" exists already (names of destroyed keys are not "
                   "reused); choose another name"));
}

absl::Status NotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("no key named \"", name, "\""));
}

// `signing`: the certificate of the version that signs for the key (for
// a key never renewed, its own).
bool Matches(const KeyFilter& filter, const vault::KeyRecord& r,
             const std::optional<vault::KeyCertificate>& signing,
             absl::Time now) {
  if (filter.usage && r.usage != *filter.usage) return false;
  if (filter.state && r.state != *filter.state) return false;
  if (filter.expiring_within) {
    if (!signing) return false;
    if (signing->not_after >= now + *filter.expiring_within) return false;
  }
  return true;
}

SignatureScheme SchemeFor(const hsm::KeyRef& ref) {
  return ref.algorithm == hsm::KeyAlgorithm::kRsa2048
             ? SignatureScheme::kRsaPkcs1Sha256
             : SignatureScheme::kEcdsaSha256;
}

CertificateUsage UsageOf(const vault::KeyRecord& record) {
  return record.usage == vault::KeyUsage::kOffline
             ? CertificateUsage::kOffline
             : CertificateUsage::kAuthentication;
}

vault::KeyCertificate ToRecord(const CertificateInfo& info,
                               std::vector<std::string> chain_der) {
  vault::KeyCertificate c;
  c.der = info.der;
  c.chain_der = std::move(chain_der);
  c.subject = info.subject;
  c.issuer = info.issuer;
  c.serial = info.serial_hex;
  c.not_before = info.not_before;
  c.not_after = info.not_after;
  c.sha256_fingerprint = info.sha256_fingerprint;
  return c;
}

}  // namespace

KeyCustody::KeyCustody(hsm::KeyStore* keys, vault::Storage* storage,
                       const Clock* clock)
    : keys_(keys), storage_(storage), clock_(clock) {}

hsm::KeyRef KeyCustody::KeyRefOf(absl::string_view name,
                                 const vault::KeyRecord& record) {
  hsm::KeyRef ref;
  ref.id = absl::HexStringToBytes(record.key_id);
  ref.label = std::string(name);
  ref.algorithm =
      record.algorithm == hsm::KeyAlgorithmName(hsm::KeyAlgorithm::kRsa2048)
          ? hsm::KeyAlgorithm::kRsa2048
          : hsm::KeyAlgorithm::kEcP256;
  ref.uri = record.pkcs11_uri;
  return ref;
}

std::string CustodyKeyLabel(absl::string_view name) {
  return absl::StrCat(kCustodyLabelPrefix, name);
}

absl::Status KeyCustody::DestroyRecordedKey(const KeyIntent& intent) {
  absl::StatusOr<hsm::KeyRef> found = keys_->FindKeyById(intent.key_id);
  if (found.ok() && found->label != intent.label) {
    // Our id under another label: not what we created. Leave it alone.
    return absl::OkStatus();
  }
  if (!found.ok() && !absl::IsNotFound(found.status())) return found.status();
  // Not found: the crash came before the HSM made the pair, or left only
  // its public half; Destroy removes whatever carries the recorded id.
  hsm::KeyRef ref;
  if (found.ok()) {
    ref = *found;
  } else {
    ref.id = intent.key_id;
    ref.label = intent.label;
  }
  absl::Status destroyed = keys_->Destroy(ref);
  if (destroyed.ok() || absl::IsNotFound(destroyed)) return absl::OkStatus();
  return destroyed;
}

absl::StatusOr<int64_t> KeyCustody::RecordIntent(absl::string_view name,
                                                 const KeyIntent& intent) {
  ASSIGN_OR_RETURN(auto txn,
                   storage_->Begin(vault::TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(std::optional<vault::Record> existing,
                   txn->Get(vault::kKeyRecordKind, name));
  if (existing) return NameTaken(name);
  ASSIGN_OR_RETURN(std::optional<vault::Record> previous,
                   txn->Get(kKeyIntentKind, name));
  vault::Record written;
  if (previous) {
    // A Generate of this name crashed (or failed and could not clean up)
    // after recording its intent. Whatever it created carries the recorded
    // id; remove that, and only that, before starting again. Read-write
    // transactions are serialised, so no other Generate of this name can
    // complete meanwhile.
    ASSIGN_OR_RETURN(KeyIntent stale, DecodeKeyIntent(previous->data));
    RETURN_IF_ERROR(DestroyRecordedKey(stale));
    ASSIGN_OR_RETURN(written,
                     txn->Update(kKeyIntentKind, name, previous->version,
                                 EncodeKeyIntent(intent)));
  } else {
    ASSIGN_OR_RETURN(
        written, txn->Insert(kKeyIntentKind, name, EncodeKeyIntent(intent)));
  }
  RETURN_IF_ERROR(txn->Commit());
  return written.version;
}

void KeyCustody::AbandonIntent(absl::string_view name,
                               const KeyIntent& intent) {
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto txn,
                     storage_->Begin(vault::TransactionMode::kReadWrite));
    ASSIGN_OR_RETURN(std::optional<vault::Record> current,
                     txn->Get(kKeyIntentKind, name));
    if (!current) return absl::OkStatus();
    ASSIGN_OR_RETURN(KeyIntent recorded, DecodeKeyIntent(current->data));
    if (recorded != intent) return absl::OkStatus();  // another Generate's
    RETURN_IF_ERROR(txn->Delete(kKeyIntentKind, name, current->version));
    return txn->Commit();
  }();
  status.IgnoreError();  // a left-over intent is recovered by the next try
}

absl::StatusOr<Key> KeyCustody::Generate(absl::string_view name,
                                         hsm::KeyAlgorithm algorithm,
                                         vault::KeyUsage usage) {
  RETURN_IF_ERROR(vault::ValidateCredentialName(name, "key name"));
  if (absl::StartsWith(name, kReservedKeyNamePrefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key name \"", name, "\" is reserved: names starting with \"",
        kReservedKeyNamePrefix,
        "\" belong to sejf's own keys (the audit key, key-encryption keys); "
        "choose another name"));
  }
  return GenerateNamed(name, algorithm, usage);
}

absl::StatusOr<Key> KeyCustody::GenerateNamed(absl::string_view name,
                                              hsm::KeyAlgorithm algorithm,
                                              vault::KeyUsage usage) {
  ASSIGN_OR_RETURN(std::optional<vault::Record> existing,
                   storage_->Get(vault::kKeyRecordKind, name));
  if (existing) return NameTaken(name);

  // 1. Record which object we are about to create, before it exists.
  const KeyIntent intent{.key_id = RandomBytes(hsm::kKeyIdSize),
                         .label = CustodyKeyLabel(name)};
  ASSIGN_OR_RETURN(const int64_t intent_version, RecordIntent(name, intent));
  SEJF_CRASH_POINT(crash_points::kKeyGenerateAfterIntent);

  // 2. Create it with exactly that id. Failures leave the intent for the
  // next Generate to recover from (an UNAVAILABLE generate may have
  // created the pair).
  absl::StatusOr<hsm::KeyRef> ref =
      keys_->GenerateKeyPairWithId(intent.label, intent.key_id, algorithm);
  if (absl::IsAlreadyExists(ref.status())) {
    // The id is fresh, so the label is taken by an object sejf never
    // recorded: another application's. It is not ours to touch.
    AbandonIntent(name, intent);
    return absl::AlreadyExistsError(absl::StrCat(
        "the HSM token already holds a key labelled \"", intent.label,
        "\" that sejf did not create; sejf leaves it untouched: choose "
        "another key name (or, if that object is yours and unused, remove it "
        "with the HSM's own tools)"));
  }
  if (!ref.ok()) return ref.status();
  SEJF_CRASH_POINT(crash_points::kKeyGenerateAfterHsmCreate);
  absl::StatusOr<std::string> spki = keys_->PublicKey(*ref);
  if (!spki.ok()) {
    if (keys_->Destroy(*ref).ok()) AbandonIntent(name, intent);
    return spki.status();
  }
  vault::KeyRecord record;
  record.key_id = absl::BytesToHexString(ref->id);
  record.algorithm = std::string(hsm::KeyAlgorithmName(algorithm));
  record.usage = usage;
  record.state = vault::CredentialState::kActive;
  record.create_time = clock_->Now();
  record.pkcs11_uri = ref->uri;
  record.public_key_der = *std::move(spki);

  // 3. The record, and the intent gone, in one transaction.
  absl::StatusOr<vault::Record> stored =
      [&]() -> absl::StatusOr<vault::Record> {
    ASSIGN_OR_RETURN(auto txn,
                     storage_->Begin(vault::TransactionMode::kReadWrite));
    ASSIGN_OR_RETURN(std::optional<vault::Record> current,
                     txn->Get(kKeyIntentKind, name));
    if (!current || current->version != intent_version) {
      return absl::AbortedError(absl::StrCat(
          "another generate of key \"", name,
          "\" ran at the same time and replaced this one; try again"));
    }
    RETURN_IF_ERROR(txn->Delete(kKeyIntentKind, name, intent_version));
    ASSIGN_OR_RETURN(vault::Record r,
                     txn->Insert(vault::kKeyRecordKind, name,
                                 vault::EncodeKeyRecord(record)));
    RETURN_IF_ERROR(txn->Commit());
    SEJF_CRASH_POINT(crash_points::kKeyGenerateAfterCommit);
    return r;
  }();
  if (!stored.ok()) {
    // Nobody may hold an unrecorded key. If this fails too, the intent
    // still names the pair and the next Generate removes it.
    if (keys_->Destroy(*ref).ok()) AbandonIntent(name, intent);
    return stored.status();
  }
  return Key{std::string(name), stored->version, std::move(record)};
}

absl::StatusOr<Key> KeyCustody::Get(absl::string_view name) {
  RETURN_IF_ERROR(ValidateKeyName(name, "key name"));
  ASSIGN_OR_RETURN(std::optional<vault::Record> record,
                   storage_->Get(vault::kKeyRecordKind, name));
  if (!record) return NotFound(name);
  return Decode(*record);
}

absl::StatusOr<Key> KeyCustody::Decode(const vault::Record& record) {
  ASSIGN_OR_RETURN(
      vault::KeyRecord key,
      decoded_.Decode(record.name, record.data, [](absl::string_view data) {
        return vault::DecodeKeyRecord(data);
      }));
  return Key{record.name, record.version, std::move(key)};
}

absl::StatusOr<KeyPage> KeyCustody::List(const KeyFilter& filter, int page_size,
                                         absl::string_view page_token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError("page_size must not be negative");
  }
  if (page_size == 0) page_size = kDefaultPageSize;
  page_size = std::min(page_size, kMaxPageSize);
  if (!page_token.empty()) {
    RETURN_IF_ERROR(vault::ValidateCredentialName(page_token, "page_token"));
  }
  const absl::Time now = clock_->Now();
  KeyPage page;
  vault::ListOptions options;
  options.start_after = std::string(page_token);
  options.limit = page_size;
  // Scan storage pages until the page is full or the keys run out; the
  // token is the last name looked at, so a filtered scan resumes after it.
  for (;;) {
    ASSIGN_OR_RETURN(vault::ListPage chunk,
                     storage_->List(vault::kKeyRecordKind, options));
    for (const vault::Record& record : chunk.records) {
      if (absl::StrContains(record.name, '@')) continue;  // a version
      ASSIGN_OR_RETURN(Key key, Decode(record));
      // Expiry is judged on the version that signs (Current), as
      // `sejf status` and the credential metrics judge it.
      std::optional<vault::KeyCertificate> signing = key.record.certificate;
      if (filter.expiring_within && key.record.latest_version > 1) {
        ASSIGN_OR_RETURN(Key current, Current(key.name));
        signing = current.record.certificate;
      }
      if (Matches(filter, key.record, signing, now)) {
        page.keys.push_back(std::move(key));
      }
      if (static_cast<int>(page.keys.size()) == page_size) {
        bool more = &record != &chunk.records.back() ||
                    chunk.next_start_after.has_value();
        if (more) page.next_page_token = record.name;
        return page;
      }
    }
    if (!chunk.next_start_after) return page;
    options.start_after = *chunk.next_start_after;
  }
}

absl::StatusOr<Key> KeyCustody::SetState(absl::string_view name,
                                         vault::CredentialState state) {
  ASSIGN_OR_RETURN(Key key, Get(name));
  if (key.record.latest_version > 1) {
    ASSIGN_OR_RETURN(std::vector<Key> later, LaterVersions(key));
    for (const Key& version : later) {
      if (version.record.state == vault::CredentialState::kDestroyed) continue;
      RETURN_IF_ERROR(SetStateOf(version.name, state).status());
    }
  }
  return SetStateOf(name, state);
}

absl::StatusOr<Key> KeyCustody::SetStateOf(absl::string_view name,
                                           vault::CredentialState state) {
  ASSIGN_OR_RETURN(Key key, Get(name));
  if (key.record.state == vault::CredentialState::kDestroyed) {
    return absl::FailedPreconditionError(
        absl::StrCat("key \"", name, "\" is destroyed"));
  }
  if (key.record.state == state) return key;
  key.record.state = state;
  return Save(std::move(key));
}

absl::StatusOr<Key> KeyCustody::Save(Key key) {
  ASSIGN_OR_RETURN(auto txn,
                   storage_->Begin(vault::TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(vault::Record r,
                   txn->Update(vault::kKeyRecordKind, key.name, key.version,
                               vault::EncodeKeyRecord(key.record)));
  RETURN_IF_ERROR(txn->Commit());
  key.version = r.version;
  return key;
}

namespace {

std::string UtcText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// OK when `key` is active; FAILED_PRECONDITION saying its state otherwise.
absl::Status CheckActive(const Key& key) {
  if (key.record.state == vault::CredentialState::kActive) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "key ", key.name, " is ", vault::CredentialStateName(key.record.state),
      "; only an active key signs"));
}

// What a key of `usage` is for, and how it gets its certificate.
struct UsageHints {
  absl::string_view needed_for;
  absl::string_view how_to_certify;
};

UsageHints HintsFor(vault::KeyUsage usage) {
  switch (usage) {
    case vault::KeyUsage::kAuthentication:
      return {"KSeF login needs an authentication key",
              "run sejf key self-sign or attach-cert"};
    case vault::KeyUsage::kOffline:
      return {
          "KOD II must be signed with an offline key (a KSeF Offline "
          "certificate)",
          "attach its KSeF Offline certificate with sejf key attach-cert"};
  }
  return {"", ""};
}

// OK when `key` may sign for `usage` at `now`; FAILED_PRECONDITION saying
// what to do otherwise.
absl::Status CheckUsable(const Key& key, vault::KeyUsage usage,
                         absl::Time now) {
  RETURN_IF_ERROR(CheckActive(key));
  const vault::KeyRecord& r = key.record;
  const UsageHints hints = HintsFor(usage);
  if (r.usage != usage) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key ", key.name, " has usage ", vault::KeyUsageName(r.usage), ", not ",
        vault::KeyUsageName(usage), "; ", hints.needed_for));
  }
  if (!r.certificate) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key ", key.name, " has no certificate: ", hints.how_to_certify));
  }
  if (now > r.certificate->not_after) {
    return absl::FailedPreconditionError(absl::StrCat(
        "certificate of key ", key.name, " expired on ",
        UtcText(r.certificate->not_after), "; attach a renewed one"));
  }
  if (now < r.certificate->not_before) {
    return absl::FailedPreconditionError(
        absl::StrCat("certificate of key ", key.name, " is not valid until ",
                     UtcText(r.certificate->not_before)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Key> KeyCustody::GetActive(absl::string_view name) {
  ASSIGN_OR_RETURN(Key key, Get(name));
  RETURN_IF_ERROR(CheckActive(key));
  return key;
}

absl::StatusOr<UsableKey> KeyCustody::UsableFor(absl::string_view name,
                                                vault::KeyUsage usage) {
  ASSIGN_OR_RETURN(Key key, Get(name));
  const absl::Time now = clock_->Now();
  std::optional<absl::Status> newest_certified_error;
  if (key.record.latest_version > 1) {
    ASSIGN_OR_RETURN(std::vector<Key> later, LaterVersions(key));
    for (Key& version : later) {
      absl::Status usable = CheckUsable(version, usage, now);
      if (usable.ok()) {
        hsm::KeyRef ref = KeyRefOf(version.name, version.record);
        return UsableKey(std::move(version), std::move(ref));
      }
      if (!newest_certified_error && version.record.certificate) {
        newest_certified_error = usable;
      }
    }
  }
  absl::Status usable = CheckUsable(key, usage, now);
  if (!usable.ok()) {
    if (newest_certified_error) return *newest_certified_error;
    return usable;
  }
  hsm::KeyRef ref = KeyRefOf(key.name, key.record);
  return UsableKey(std::move(key), std::move(ref));
}

absl::StatusOr<std::string> KeyCustody::Sign(const UsableKey& key,
                                             hsm::SignatureScheme scheme,
                                             absl::string_view data) const {
  return keys_->Sign(key.ref_, scheme, data);
}

absl::StatusOr<Csr> KeyCustody::CreateCsr(absl::string_view name,
                                          const DistinguishedName& subject) {
  ASSIGN_OR_RETURN(Key key, GetActive(name));
  hsm::KeyRef ref = KeyRefOf(name, key.record);
  SignatureScheme scheme = SchemeFor(ref);
  return signer::CreateCsr(
      key.record.public_key_der, subject, scheme,
      [&](absl::string_view data) { return keys_->Sign(ref, scheme, data); });
}

absl::StatusOr<Key> KeyCustody::SelfSign(absl::string_view name,
                                         const DistinguishedName& subject,
                                         int validity_days) {
  ASSIGN_OR_RETURN(Key key, GetActive(name));
  hsm::KeyRef ref = KeyRefOf(name, key.record);
  SignatureScheme scheme = SchemeFor(ref);
  ASSIGN_OR_RETURN(CertificateInfo info,
                   CreateSelfSignedCertificate(
                       key.record.public_key_der, subject, UsageOf(key.record),
                       validity_days, scheme,
                       [&](absl::string_view data) {
                         return keys_->Sign(ref, scheme, data);
                       },
                       *clock_));
  key.record.certificate = ToRecord(info, {});
  return Save(std::move(key));
}

absl::StatusOr<Key> KeyCustody::AttachCertificate(absl::string_view name,
                                                  absl::string_view chain) {
  absl::StatusOr<CertificateChain> parsed = ParseCertificateChain(chain);
  if (!parsed.ok()) {
    return absl::Status(
        parsed.status().code(),
        absl::StrCat("certificate_chain: ", parsed.status().message()));
  }
  ASSIGN_OR_RETURN(Key key, Get(name));
  if (key.record.state == vault::CredentialState::kDestroyed) {
    return absl::FailedPreconditionError(
        absl::StrCat("key \"", name, "\" is destroyed"));
  }
  RETURN_IF_ERROR(CheckCertificateFitsKey(
      parsed->leaf, key.record.public_key_der, UsageOf(key.record)));
  key.record.certificate =
      ToRecord(parsed->leaf, std::move(parsed->intermediates_der));
  return Save(std::move(key));
}

absl::StatusOr<Key> KeyCustody::Disable(absl::string_view name) {
  return SetState(name, vault::CredentialState::kDisabled);
}

absl::StatusOr<Key> KeyCustody::Enable(absl::string_view name) {
  return SetState(name, vault::CredentialState::kActive);
}

absl::StatusOr<Key> KeyCustody::Destroy(absl::string_view name) {
  ASSIGN_OR_RETURN(Key key, Get(name));
  if (key.record.latest_version > 1) {
    ASSIGN_OR_RETURN(std::vector<Key> later, LaterVersions(key));
    for (const Key& version : later) {
      RETURN_IF_ERROR(DestroyOne(version.name).status());
    }
  }
  return DestroyOne(name);
}

absl::StatusOr<Key> KeyCustody::DestroyOne(absl::string_view name) {
  ASSIGN_OR_RETURN(Key key, Get(name));
  if (key.record.state == vault::CredentialState::kDestroyed) return key;
  absl::Status destroyed = keys_->Destroy(KeyRefOf(name, key.record));
  // NOT_FOUND: a previous Destroy removed the HSM objects but could not
  // record it; finish the job.
  if (!destroyed.ok() && destroyed.code() != absl::StatusCode::kNotFound) {
    return destroyed;
  }
  SEJF_CRASH_POINT(crash_points::kKeyDestroyAfterHsmDestroy);
  key.record.state = vault::CredentialState::kDestroyed;
  ASSIGN_OR_RETURN(Key saved, Save(std::move(key)));
  SEJF_CRASH_POINT(crash_points::kKeyDestroyAfterCommit);
  return saved;
}

}  // namespace sejf::signer
