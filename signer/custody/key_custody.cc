#include "signer/custody/key_custody.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "signer/x509/certificate_info.h"
#include "signer/x509/self_signed.h"
#include "vault/records/credential_name.h"

namespace sejf::signer {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

absl::Status NotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("no key named \"", name, "\""));
}

bool Matches(const KeyFilter& filter, const vault::KeyRecord& r,
             absl::Time now) {
  if (filter.usage && r.usage != *filter.usage) return false;
  if (filter.state && r.state != *filter.state) return false;
  if (filter.expiring_within) {
    if (!r.certificate) return false;
    if (r.certificate->not_after >= now + *filter.expiring_within) return false;
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

hsm::SignatureScheme HsmScheme(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kEcdsaSha256:
      return hsm::SignatureScheme::kEcdsaSha256;
    case SignatureScheme::kRsaPkcs1Sha256:
      return hsm::SignatureScheme::kRsaPkcs1Sha256;
    case SignatureScheme::kRsaPssSha256:
      return hsm::SignatureScheme::kRsaPssSha256;
  }
  return hsm::SignatureScheme::kEcdsaSha256;
}

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

absl::StatusOr<Key> KeyCustody::Generate(absl::string_view name,
                                         hsm::KeyAlgorithm algorithm,
                                         vault::KeyUsage usage) {
  RETURN_IF_ERROR(vault::ValidateCredentialName(name, "key name"));
  ASSIGN_OR_RETURN(std::optional<vault::Record> existing,
                   storage_->Get(vault::kKeyRecordKind, name));
  if (existing) {
    return absl::AlreadyExistsError(
        absl::StrCat("a key named \"", name,
                     "\" exists already (names of destroyed keys are not "
                     "reused); choose another name"));
  }
  absl::StatusOr<hsm::KeyRef> ref = keys_->GenerateKeyPair(name, algorithm);
  if (ref.status().code() == absl::StatusCode::kAlreadyExists) {
    // An orphan from a crash between HSM generation and the record insert:
    // it was never recorded, so never certified or used. Replace it.
    ASSIGN_OR_RETURN(hsm::KeyRef orphan, keys_->FindKeyByLabel(name));
    RETURN_IF_ERROR(keys_->Destroy(orphan));
    ref = keys_->GenerateKeyPair(name, algorithm);
  }
  if (!ref.ok()) return ref.status();
  absl::StatusOr<std::string> spki = keys_->PublicKey(*ref);
  if (!spki.ok()) {
    keys_->Destroy(*ref).IgnoreError();  // best effort; else an orphan
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

  absl::StatusOr<vault::Record> stored =
      [&]() -> absl::StatusOr<vault::Record> {
    ASSIGN_OR_RETURN(auto txn,
                     storage_->Begin(vault::TransactionMode::kReadWrite));
    ASSIGN_OR_RETURN(vault::Record r,
                     txn->Insert(vault::kKeyRecordKind, name,
                                 vault::EncodeKeyRecord(record)));
    RETURN_IF_ERROR(txn->Commit());
    return r;
  }();
  if (!stored.ok()) {
    keys_->Destroy(*ref).IgnoreError();  // nobody may hold an unrecorded key
    return stored.status();
  }
  return Key{std::string(name), stored->version, std::move(record)};
}

absl::StatusOr<Key> KeyCustody::Get(absl::string_view name) {
  RETURN_IF_ERROR(vault::ValidateCredentialName(name, "key name"));
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
      ASSIGN_OR_RETURN(Key key, Decode(record));
      if (Matches(filter, key.record, now)) page.keys.push_back(std::move(key));
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

absl::StatusOr<Key> KeyCustody::GetActive(absl::string_view name) {
  ASSIGN_OR_RETURN(Key key, Get(name));
  if (key.record.state != vault::CredentialState::kActive) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key \"", name, "\" is ", vault::CredentialStateName(key.record.state),
        "; only an active key signs"));
  }
  return key;
}

absl::StatusOr<Csr> KeyCustody::CreateCsr(absl::string_view name,
                                          const DistinguishedName& subject) {
  ASSIGN_OR_RETURN(Key key, GetActive(name));
  hsm::KeyRef ref = KeyRefOf(name, key.record);
  SignatureScheme scheme = SchemeFor(ref);
  return signer::CreateCsr(key.record.public_key_der, subject, scheme,
                           [&](absl::string_view data) {
                             return keys_->Sign(ref, HsmScheme(scheme), data);
                           });
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
                         return keys_->Sign(ref, HsmScheme(scheme), data);
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
  if (key.record.state == vault::CredentialState::kDestroyed) return key;
  absl::Status destroyed = keys_->Destroy(KeyRefOf(name, key.record));
  // NOT_FOUND: a previous Destroy removed the HSM objects but could not
  // record it; finish the job.
  if (!destroyed.ok() && destroyed.code() != absl::StatusCode::kNotFound) {
    return destroyed;
  }
  key.record.state = vault::CredentialState::kDestroyed;
  return Save(std::move(key));
}

absl::StatusOr<std::string> KeyNameFromResource(absl::string_view resource,
                                                absl::string_view field) {
  absl::string_view name = resource;
  if (!absl::ConsumePrefix(&name, "keys/")) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a key resource name \"keys/{name}\""));
  }
  RETURN_IF_ERROR(vault::ValidateCredentialName(name, field));
  return std::string(name);
}

}  // namespace sejf::signer
