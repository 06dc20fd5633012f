#include "vault/crypto/keyring.h"

#include <sodium.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crash_point.h"
#include "common/crypto_init.h"
#include "common/random.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "vault/crypto/xchacha20_poly1305_aead.h"
#include "vault/records/record_json.h"

namespace sejf::vault {
namespace {

using nlohmann::json;

constexpr int kFormat = 1;
constexpr int kMaxKekLabelAttempts = 100;

struct WrappedKey {
  std::uint32_t id = 0;
  std::string wrapped = {};
  std::int64_t create_time_us = 0;
};

// A KEK in the HSM as the keyring records it: label and binary CKA_ID.
struct KekRef {
  std::string label = {};
  std::string id = {};
  friend bool operator==(const KekRef&, const KekRef&) = default;
};

struct KeyringRecord {
  std::string kek_label = {};
  std::string kek_id = {};  // empty in records written before it existed
  std::uint32_t current = 0;
  std::vector<WrappedKey> keys = {};
  std::optional<KekRef> pending_kek = {};
  std::vector<KekRef> retired_keks = {};
};

json KekJson(const KekRef& kek) {
  return {{"label", kek.label}, {"id", absl::BytesToHexString(kek.id)}};
}

absl::StatusOr<KekRef> KekFromJson(const json& j) {
  KekRef kek{.label = j.at("label").get<std::string>()};
  const std::string hex = j.at("id").get<std::string>();
  bool ok = !hex.empty() && hex.size() % 2 == 0;
  for (char c : hex) ok = ok && absl::ascii_isxdigit(c);
  if (!ok) {
    return absl::DataLossError(absl::StrCat("keyring record: the id of KEK \"",
                                            kek.label, "\" is not hex"));
  }
  kek.id = absl::HexStringToBytes(hex);
  return kek;
}

std::string Encode(const KeyringRecord& r) {
  json keys = json::array();
  for (const WrappedKey& k : r.keys) {
    keys.push_back({{"id", k.id},
                    {"wrapped", absl::Base64Escape(k.wrapped)},
                    {"create_time_us", k.create_time_us}});
  }
  json j = {{"format", kFormat},
            {"kek_label", r.kek_label},
            {"current", r.current},
            {"keys", keys}};
  if (!r.kek_id.empty()) j["kek_id"] = absl::BytesToHexString(r.kek_id);
  if (r.pending_kek) j["pending_kek"] = KekJson(*r.pending_kek);
  if (!r.retired_keks.empty()) {
    json retired = json::array();
    for (const KekRef& kek : r.retired_keks) retired.push_back(KekJson(kek));
    j["retired_keks"] = retired;
  }
  return j.dump();
}

absl::StatusOr<KeyringRecord> Decode(absl::string_view data) {
  try {
    json j = json::parse(data.begin(), data.end());
    if (RecordInt64(j.at("format"), "format") != kFormat) {
      return absl::DataLossError(
          absl::StrCat("keyring record has format ", j.at("format").dump(),
                       "; this sejfd reads format ", kFormat));
    }
    KeyringRecord r;
    r.kek_label = j.at("kek_label").get<std::string>();
    r.current = RecordUint32(j.at("current"), "current");
    bool has_current = false;
    for (const json& k : j.at("keys")) {
      WrappedKey key;
      key.id = RecordUint32(k.at("id"), "id");
      if (!absl::Base64Unescape(k.at("wrapped").get<std::string>(),
                                &key.wrapped)) {
        return absl::DataLossError(absl::StrCat("keyring record: data key ",
                                                key.id, " is not Base64"));
      }
      key.create_time_us =
          RecordInt64(k.at("create_time_us"), "create_time_us");
      has_current |= key.id == r.current;
      r.keys.push_back(std::move(key));
    }
    if (!has_current) {
      return absl::DataLossError(absl::StrCat(
          "keyring record: the current data key ", r.current, " is missing"));
    }
    if (j.contains("kek_id")) {
      ASSIGN_OR_RETURN(KekRef current, KekFromJson({{"label", r.kek_label},
                                                    {"id", j["kek_id"]}}));
      r.kek_id = std::move(current.id);
    }
    if (j.contains("pending_kek")) {
      ASSIGN_OR_RETURN(r.pending_kek, KekFromJson(j["pending_kek"]));
    }
    if (j.contains("retired_keks")) {
      for (const json& k : j["retired_keks"]) {
        ASSIGN_OR_RETURN(KekRef kek, KekFromJson(k));
        r.retired_keks.push_back(std::move(kek));
      }
    }
    return r;
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("keyring record is damaged: ", e.what()));
  }
}

// 32 fresh random bytes.
SecretBytes NewDataKey() {
  SecretBytes key(hsm::kDataKeySize);
  randombytes_buf(key.data(), key.size());
  return key;
}

// "sejf-kek-v1" -> "sejf-kek-v2"; "custom" -> "custom-v2".
std::string NextKekLabel(absl::string_view label) {
  const std::size_t v = label.rfind("-v");
  std::uint32_t n = 0;
  if (v != absl::string_view::npos && v + 2 < label.size() &&
      absl::ascii_isdigit(static_cast<unsigned char>(label[v + 2])) &&
      absl::SimpleAtoi(label.substr(v + 2), &n) && n < 1000000) {
    return absl::StrCat(label.substr(0, v), "-v", n + 1);
  }
  return absl::StrCat(label, "-v2");
}

}  // namespace

Keyring::Keyring(Storage* storage, hsm::KeyStore* keys, const Clock* clock)
    : storage_(storage), keys_(keys), clock_(clock) {}

Keyring::~Keyring() = default;

absl::StatusOr<std::unique_ptr<Keyring>> Keyring::Open(Storage* storage,
                                                       hsm::KeyStore* keys,
                                                       const Clock* clock) {
  RETURN_IF_ERROR(InitCrypto());
  std::unique_ptr<Keyring> keyring(new Keyring(storage, keys, clock));
  ASSIGN_OR_RETURN(std::optional<Record> record,
                   storage->Get(kKeyringKind, kKeyringRecordName));
  if (!record.has_value()) {
    // First start. In a write transaction, so two processes starting at once
    // do not both create one: the second finds the first's record.
    ASSIGN_OR_RETURN(auto txn, storage->Begin(TransactionMode::kReadWrite));
    ASSIGN_OR_RETURN(record, txn->Get(kKeyringKind, kKeyringRecordName));
    if (!record.has_value()) {
      SecretBytes dek = NewDataKey();
      absl::StatusOr<std::string> wrapped = keys->WrapKey(dek);
      RETURN_IF_ERROR(WithContext(wrapped.status(),
                                  "creating the keyring: wrapping data key 1"));
      absl::StatusOr<std::string> kek_id = keys->KekId(keys->DefaultKekLabel());
      RETURN_IF_ERROR(WithContext(
          kek_id.status(), "creating the keyring: reading the KEK's id"));
      KeyringRecord fresh{
          .kek_label = keys->DefaultKekLabel(),
          .kek_id = *std::move(kek_id),
          .current = 1,
          .keys = {{.id = 1,
                    .wrapped = *std::move(wrapped),
                    .create_time_us = absl::ToUnixMicros(clock->Now())}}};
      ASSIGN_OR_RETURN(
          record, txn->Insert(kKeyringKind, kKeyringRecordName, Encode(fresh)));
      RETURN_IF_ERROR(txn->Commit());
    }
  }
  RETURN_IF_ERROR(WithContext(keyring->LoadLatest(*std::move(record)),
                              "opening the keyring"));
  // Finishes what a KEK rotation could not (a crash, the HSM away); best
  // effort: a KEK left over is retried at the next start or rotation.
  keyring->RetireKeks().IgnoreError();
  return keyring;
}

absl::Status Keyring::Load(absl::string_view data) {
  ASSIGN_OR_RETURN(KeyringRecord record, Decode(data));
  std::map<std::uint32_t, std::shared_ptr<const Aead>> loaded;
  {
    absl::MutexLock lock(&mu_);
    loaded = aeads_;
  }
  for (const WrappedKey& key : record.keys) {
    if (loaded.contains(key.id)) continue;
    absl::StatusOr<SecretBytes> dek =
        keys_->UnwrapKeyWith(record.kek_label, key.wrapped);
    RETURN_IF_ERROR(WithContext(dek.status(),
                                absl::StrCat("unwrapping data key ", key.id)));
    ASSIGN_OR_RETURN(std::unique_ptr<XChaCha20Poly1305Aead> aead,
                     XChaCha20Poly1305Aead::New(*dek));
    loaded.emplace(key.id, std::move(aead));
  }
  absl::MutexLock lock(&mu_);
  aeads_ = std::move(loaded);
  current_ = record.current;
  kek_label_ = record.kek_label;
  return absl::OkStatus();
}

std::pair<std::uint32_t, std::shared_ptr<const Aead>> Keyring::Current() const {
  absl::MutexLock lock(&mu_);
  return {current_, aeads_.at(current_)};
}

absl::StatusOr<std::shared_ptr<const Aead>> Keyring::Get(std::uint32_t id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = aeads_.find(id);
    if (it != aeads_.end()) return it->second;
  }
  RETURN_IF_ERROR(Reload());
  absl::MutexLock lock(&mu_);
  auto it = aeads_.find(id);
  if (it != aeads_.end()) return it->second;
  return absl::NotFoundError(absl::StrCat("the keyring has no data key ", id));
}

KeyringInfo Keyring::Info() const {
  absl::MutexLock lock(&mu_);
  return KeyringInfo{.current_id = current_,
                     .key_count = static_cast<std::int64_t>(aeads_.size()),
                     .kek_label = kek_label_,
                     .kek_uri = keys_->KekUri(kek_label_)};
}

absl::StatusOr<KeyringRecordFacts> Keyring::RecordFacts() const {
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   storage_->Get(kKeyringKind, kKeyringRecordName));
  if (!stored.has_value()) {
    return absl::DataLossError("the keyring record has disappeared");
  }
  ASSIGN_OR_RETURN(KeyringRecord record, Decode(stored->data));
  auto facts_of = [](const KekRef& kek) {
    return KeyringKek{.label = kek.label, .id = kek.id};
  };
  KeyringRecordFacts facts{
      .current_kek = {.label = record.kek_label, .id = record.kek_id}};
  if (record.pending_kek) facts.pending_kek = facts_of(*record.pending_kek);
  for (const KekRef& kek : record.retired_keks) {
    facts.retired_keks.push_back(facts_of(kek));
  }
  for (const WrappedKey& key : record.keys) {
    facts.data_key_ids.push_back(key.id);
  }
  return facts;
}

absl::Status Keyring::Reload() {
  absl::MutexLock rotate(&rotate_mu_);
  ASSIGN_OR_RETURN(std::optional<Record> record,
                   storage_->Get(kKeyringKind, kKeyringRecordName));
  if (!record.has_value()) {
    return absl::DataLossError("the keyring record has disappeared");
  }
  return LoadLatest(*std::move(record));
}

absl::Status Keyring::Refresh() {
  absl::MutexLock rotate(&rotate_mu_);
  ASSIGN_OR_RETURN(std::optional<Record> record,
                   storage_->Get(kKeyringKind, kKeyringRecordName));
  if (!record.has_value()) {
    return absl::DataLossError("the keyring record has disappeared");
  }
  {
    absl::MutexLock lock(&mu_);
    if (record->version == loaded_version_) return absl::OkStatus();
  }
  return LoadLatest(*std::move(record));
}

absl::Status Keyring::LoadLatest(Record record) {
  for (int attempt = 1;; ++attempt) {
    absl::Status loaded = Load(record.data);
    if (loaded.ok()) {
      absl::MutexLock lock(&mu_);
      loaded_version_ = record.version;
    }
    if (loaded.ok() || attempt == kMaxLoadAttempts) return loaded;
    // Another process may have rotated the KEK between our read and the
    // unwrap, destroying the KEK `record` names: its newer record unwraps.
    ASSIGN_OR_RETURN(std::optional<Record> again,
                     storage_->Get(kKeyringKind, kKeyringRecordName));
    if (!again.has_value() || again->version == record.version) return loaded;
    record = *std::move(again);
  }
}

absl::StatusOr<std::uint32_t> Keyring::Rotate() {
  absl::MutexLock rotate(&rotate_mu_);
  ASSIGN_OR_RETURN(auto txn, storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   txn->Get(kKeyringKind, kKeyringRecordName));
  if (!stored.has_value()) {
    return absl::DataLossError("the keyring record has disappeared");
  }
  ASSIGN_OR_RETURN(KeyringRecord record, Decode(stored->data));
  std::uint32_t id = 0;
  for (const WrappedKey& key : record.keys) id = std::max(id, key.id);
  ++id;
  SecretBytes dek = NewDataKey();
  absl::StatusOr<std::string> wrapped =
      keys_->WrapKeyWith(record.kek_label, dek);
  RETURN_IF_ERROR(
      WithContext(wrapped.status(), absl::StrCat("wrapping data key ", id)));
  // Checked before it is stored: a DEK that does not unwrap would lose
  // everything sealed with it.
  ASSIGN_OR_RETURN(std::unique_ptr<XChaCha20Poly1305Aead> aead,
                   XChaCha20Poly1305Aead::New(dek));
  record.keys.push_back({.id = id,
                         .wrapped = *std::move(wrapped),
                         .create_time_us = absl::ToUnixMicros(clock_->Now())});
  record.current = id;
  const std::string data = Encode(record);
  ASSIGN_OR_RETURN(Record updated, txn->Update(kKeyringKind, kKeyringRecordName,
                                               stored->version, data));
  SEJF_CRASH_POINT(crash_points::kDekRotationBeforeCommit);
  RETURN_IF_ERROR(txn->Commit());
  SEJF_CRASH_POINT(crash_points::kDekRotationAfterCommit);
  {
    // After the commit: a DEK that never made it to storage must not be
    // held under an id another process may then use for its own.
    absl::MutexLock lock(&mu_);
    aeads_.emplace(id, std::move(aead));
  }
  // Takes up whatever else the record holds (other processes' changes).
  RETURN_IF_ERROR(Load(data));
  absl::MutexLock lock(&mu_);
  loaded_version_ = updated.version;
  return id;
}

absl::StatusOr<Keyring::PendingKek> Keyring::RecordPendingKek(
    absl::string_view after) {
  ASSIGN_OR_RETURN(auto txn, storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   txn->Get(kKeyringKind, kKeyringRecordName));
  if (!stored.has_value()) {
    return absl::DataLossError("the keyring record has disappeared");
  }
  ASSIGN_OR_RETURN(KeyringRecord record, Decode(stored->data));
  if (record.pending_kek) {
    // An earlier rotation stopped between recording its KEK and using it:
    // nothing is wrapped under that KEK, so it is retired.
    record.retired_keks.push_back(*std::move(record.pending_kek));
  }
  std::string label = NextKekLabel(after.empty() ? record.kek_label : after);
  for (int i = 0; i < kMaxKekLabelAttempts; ++i) {
    bool taken = false;
    for (const KekRef& kek : record.retired_keks) taken |= kek.label == label;
    if (!taken) break;
    label = NextKekLabel(label);
  }
  record.pending_kek =
      KekRef{.label = label, .id = RandomBytes(hsm::kKeyIdSize)};
  PendingKek pending{.label = label, .id = record.pending_kek->id};
  RETURN_IF_ERROR(txn->Update(kKeyringKind, kKeyringRecordName, stored->version,
                              Encode(record))
                      .status());
  RETURN_IF_ERROR(txn->Commit());
  return pending;
}

absl::Status Keyring::RetireKeks() {
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   storage_->Get(kKeyringKind, kKeyringRecordName));
  if (!stored.has_value()) return absl::OkStatus();
  ASSIGN_OR_RETURN(KeyringRecord record, Decode(stored->data));
  const KekRef current{.label = record.kek_label, .id = record.kek_id};
  std::vector<KekRef> gone;
  absl::Status result;
  for (const KekRef& kek : record.retired_keks) {
    // Never the KEK in use or the one a rotation is about to use.
    if (kek == current || (record.pending_kek && kek == *record.pending_kek)) {
      continue;
    }
    absl::Status destroyed = keys_->DestroyKek(kek.label, kek.id);
    if (destroyed.ok() || absl::IsNotFound(destroyed)) {
      gone.push_back(kek);
    } else {
      result.Update(WithContext(
          destroyed, absl::StrCat("retiring key-encryption key ", kek.label)));
    }
  }
  if (gone.empty()) return result;
  SEJF_CRASH_POINT(crash_points::kKekRotationAfterOldKekDestroyed);
  ASSIGN_OR_RETURN(auto txn, storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(stored, txn->Get(kKeyringKind, kKeyringRecordName));
  if (!stored.has_value()) return result;
  ASSIGN_OR_RETURN(record, Decode(stored->data));
  std::erase_if(record.retired_keks, [&](const KekRef& kek) {
    return std::find(gone.begin(), gone.end(), kek) != gone.end();
  });
  RETURN_IF_ERROR(txn->Update(kKeyringKind, kKeyringRecordName, stored->version,
                              Encode(record))
                      .status());
  RETURN_IF_ERROR(txn->Commit());
  return result;
}

absl::StatusOr<std::string> Keyring::RotateKek() {
  absl::MutexLock rotate(&rotate_mu_);
  // 1+2. Record the new KEK's label and id, then create it with exactly
  // those. A label another object already holds in the HSM (not recorded
  // by us) is skipped, never touched.
  PendingKek next;
  std::string after;
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(next, RecordPendingKek(after));
    SEJF_CRASH_POINT(crash_points::kKekRotationAfterPendingRecorded);
    absl::Status created = keys_->CreateKekWithId(next.label, next.id);
    if (created.ok()) break;
    if (!absl::IsAlreadyExists(created) ||
        attempt + 1 == kMaxKekLabelAttempts) {
      return WithContext(created, "creating a new key-encryption key");
    }
    after = next.label;
  }
  const std::string& label = next.label;
  SEJF_CRASH_POINT(crash_points::kKekRotationAfterKekCreated);

  // 3. Re-wrap every DEK under it and make it current; the old KEK becomes
  // retired in the same commit.
  ASSIGN_OR_RETURN(auto txn, storage_->Begin(TransactionMode::kReadWrite));
  ASSIGN_OR_RETURN(std::optional<Record> stored,
                   txn->Get(kKeyringKind, kKeyringRecordName));
  if (!stored.has_value()) {
    return absl::DataLossError("the keyring record has disappeared");
  }
  ASSIGN_OR_RETURN(KeyringRecord record, Decode(stored->data));
  if (!record.pending_kek ||
      *record.pending_kek != KekRef{.label = next.label, .id = next.id}) {
    return absl::AbortedError(
        "another process rotated the key-encryption key at the same time; "
        "try again");
  }
  for (WrappedKey& key : record.keys) {
    absl::StatusOr<SecretBytes> dek =
        keys_->UnwrapKeyWith(record.kek_label, key.wrapped);
    RETURN_IF_ERROR(WithContext(dek.status(),
                                absl::StrCat("unwrapping data key ", key.id)));
    absl::StatusOr<std::string> rewrapped = keys_->WrapKeyWith(label, *dek);
    RETURN_IF_ERROR(WithContext(rewrapped.status(),
                                absl::StrCat("re-wrapping data key ", key.id)));
    // Checked before it is stored, as in Rotate.
    absl::StatusOr<SecretBytes> check = keys_->UnwrapKeyWith(label, *rewrapped);
    RETURN_IF_ERROR(WithContext(
        check.status(), absl::StrCat("checking re-wrapped data key ", key.id)));
    if (!SecretEquals(*check, *dek)) {
      return absl::InternalError(absl::StrCat(
          "data key ", key.id, " does not survive re-wrapping under ", label));
    }
    key.wrapped = *std::move(rewrapped);
  }
  KekRef old{.label = record.kek_label, .id = record.kek_id};
  if (old.id.empty()) {
    // A record from before KEK ids were kept: the KEK it names is the one
    // that just unwrapped every DEK; take its id now.
    absl::StatusOr<std::string> id = keys_->KekId(old.label);
    RETURN_IF_ERROR(WithContext(
        id.status(), absl::StrCat("reading the id of KEK ", old.label)));
    old.id = *std::move(id);
  }
  record.retired_keks.push_back(std::move(old));
  record.kek_label = label;
  record.kek_id = next.id;
  record.pending_kek.reset();
  const std::string data = Encode(record);
  RETURN_IF_ERROR(
      txn->Update(kKeyringKind, kKeyringRecordName, stored->version, data)
          .status());
  RETURN_IF_ERROR(txn->Commit());
  txn.reset();
  SEJF_CRASH_POINT(crash_points::kKekRotationAfterCommit);
  RETURN_IF_ERROR(Load(data));
  // 4. Destroy the retired KEKs in the HSM. Best effort: the rotation is
  // done; what is left is retried at the next start or rotation.
  RetireKeks().IgnoreError();
  return keys_->KekUri(label);
}

}  // namespace sejf::vault
