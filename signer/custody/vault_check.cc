#include "signer/custody/vault_check.h"

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "signer/custody/key_custody.h"
#include "signer/custody/key_intent.h"
#include "vault/records/key_record.h"

namespace sejf::signer {
namespace {

// Every record of `kind`, page by page.
absl::StatusOr<std::vector<vault::Record>> AllRecords(vault::Storage& storage,
                                                      absl::string_view kind) {
  std::vector<vault::Record> all;
  vault::ListOptions options{.limit = 500};
  for (;;) {
    ASSIGN_OR_RETURN(vault::ListPage page, storage.List(kind, options));
    for (vault::Record& r : page.records) all.push_back(std::move(r));
    if (!page.next_start_after.has_value()) return all;
    options.start_after = *page.next_start_after;
  }
}

std::string ObjectSubject(absl::string_view label, absl::string_view id) {
  return absl::StrCat("object=", label, ";id=", absl::BytesToHexString(id));
}

// "sejf-kek-v3" -> "sejf-kek": the label family of the keyring's KEKs.
std::string KekLabelBase(absl::string_view label) {
  const std::size_t v = label.rfind("-v");
  return std::string(v == absl::string_view::npos ? label : label.substr(0, v));
}

struct KeyRecordRef {
  std::string name;
  vault::CredentialState state;
};

}  // namespace

absl::string_view VaultFindingKindName(VaultFindingKind kind) {
  switch (kind) {
    case VaultFindingKind::kOrphanKeyObject:
      return "orphan_key_object";
    case VaultFindingKind::kMissingKeyObject:
      return "missing_key_object";
    case VaultFindingKind::kDestroyedKeyInHsm:
      return "destroyed_key_in_hsm";
    case VaultFindingKind::kPendingKeyIntent:
      return "pending_key_intent";
    case VaultFindingKind::kUnreadableToken:
      return "unreadable_token";
    case VaultFindingKind::kUnreadableDataKey:
      return "unreadable_data_key";
    case VaultFindingKind::kMissingKek:
      return "missing_kek";
    case VaultFindingKind::kPendingKek:
      return "pending_kek";
    case VaultFindingKind::kRetiredKek:
      return "retired_kek";
    case VaultFindingKind::kUnrecordedKek:
      return "unrecorded_kek";
  }
  return "unknown";
}

VaultChecker::VaultChecker(hsm::KeyStore* keys, vault::Storage* storage,
                           vault::Keyring* keyring, vault::TokenVault* tokens)
    : keys_(keys), storage_(storage), keyring_(keyring), tokens_(tokens) {}

absl::StatusOr<VaultCheckReport> VaultChecker::Check() const {
  VaultCheckReport report;
  auto add = [&](VaultFindingKind kind, std::string subject, std::string detail,
                 std::string remedy) {
    report.findings.push_back({.kind = kind,
                               .subject = std::move(subject),
                               .detail = std::move(detail),
                               .remedy = std::move(remedy)});
  };

  // What storage records: keys by CKA_ID, key intents by CKA_ID.
  std::map<std::string, KeyRecordRef> records_by_id;
  ASSIGN_OR_RETURN(std::vector<vault::Record> key_records,
                   AllRecords(*storage_, vault::kKeyRecordKind));
  for (const vault::Record& stored : key_records) {
    ASSIGN_OR_RETURN(vault::KeyRecord record,
                     vault::DecodeKeyRecord(stored.data));
    records_by_id[absl::HexStringToBytes(record.key_id)] = {stored.name,
                                                            record.state};
  }
  report.keys_checked = static_cast<std::int64_t>(key_records.size());
  std::map<std::string, std::string> intents_by_id;  // id -> key name
  ASSIGN_OR_RETURN(std::vector<vault::Record> intent_records,
                   AllRecords(*storage_, kKeyIntentKind));
  std::vector<std::pair<std::string, KeyIntent>> intents;
  for (const vault::Record& stored : intent_records) {
    ASSIGN_OR_RETURN(KeyIntent intent, DecodeKeyIntent(stored.data));
    intents_by_id[intent.key_id] = stored.name;
    intents.emplace_back(stored.name, std::move(intent));
  }

  // What the HSM holds.
  ASSIGN_OR_RETURN(std::vector<hsm::KeyObject> objects,
                   keys_->ListKeyObjects());
  report.hsm_objects = static_cast<std::int64_t>(objects.size());
  std::map<std::string, std::string> pair_ids;  // CKA_ID -> label, any half
  std::set<std::string> private_ids;
  std::set<std::pair<std::string, std::string>> secret_keys;  // label, id
  for (const hsm::KeyObject& object : objects) {
    if (object.object_class == hsm::KeyObjectClass::kSecretKey) {
      secret_keys.emplace(object.label, object.id);
      continue;
    }
    pair_ids.emplace(object.id, object.label);
    if (object.object_class == hsm::KeyObjectClass::kPrivateKey) {
      private_ids.insert(object.id);
    }
  }

  // Key pairs in the HSM against the records.
  for (const auto& [id, label] : pair_ids) {
    auto record = records_by_id.find(id);
    if (record != records_by_id.end()) {
      if (record->second.state == vault::CredentialState::kDestroyed) {
        add(VaultFindingKind::kDestroyedKeyInHsm,
            absl::StrCat("keys/", record->second.name),
            absl::StrCat("key \"", record->second.name,
                         "\" is recorded as destroyed but its key pair (",
                         ObjectSubject(label, id), ") is still in the HSM"),
            "remove the object with the HSM's own tools (pkcs11-tool "
            "--delete-object --id HEX), after checking nothing else uses it");
      }
      continue;
    }
    if (!absl::StartsWith(label, kCustodyLabelPrefix)) continue;  // not ours
    auto intent = intents_by_id.find(id);
    if (intent != intents_by_id.end()) {
      add(VaultFindingKind::kOrphanKeyObject, ObjectSubject(label, id),
          absl::StrCat("a key pair no key record holds, created by a "
                       "generate of key \"",
                       intent->second,
                       "\" that did not finish (its key intent is pending)"),
          absl::StrCat("run `sejf key generate ", intent->second,
                       "` again: it destroys this object (by its recorded "
                       "id) and generates the key afresh; then `sejf key "
                       "destroy ",
                       intent->second, "` if the key is not wanted"));
    } else {
      add(VaultFindingKind::kOrphanKeyObject, ObjectSubject(label, id),
          "a key pair in sejf's label namespace that no key record or key "
          "intent names",
          "if no sejfd sharing this token is generating a key, remove the "
          "object with the HSM's own tools (pkcs11-tool --delete-object "
          "--id HEX)");
    }
  }
  for (const auto& [id, record] : records_by_id) {
    if (record.state == vault::CredentialState::kDestroyed) continue;
    if (private_ids.contains(id)) continue;
    add(VaultFindingKind::kMissingKeyObject, absl::StrCat("keys/", record.name),
        absl::StrCat("key \"", record.name, "\" is ",
                     vault::CredentialStateName(record.state),
                     " but its private key (id ", absl::BytesToHexString(id),
                     ") is not in the HSM: it cannot sign"),
        absl::StrCat("if the key was being destroyed, run `sejf key destroy ",
                     record.name,
                     "` again to record it; otherwise restore the HSM token "
                     "from its backup"));
  }
  for (const auto& [name, intent] : intents) {
    if (pair_ids.contains(intent.key_id)) continue;  // reported as an orphan
    add(VaultFindingKind::kPendingKeyIntent, absl::StrCat("keys/", name),
        absl::StrCat("a generate of key \"", name,
                     "\" recorded its intent and did not finish; nothing it "
                     "would create is in the HSM"),
        absl::StrCat("run `sejf key generate ", name,
                     "` again (the intent is then replaced), or leave it: "
                     "it holds nothing"));
  }

  // Tokens.
  ASSIGN_OR_RETURN(vault::SealCheck seals, tokens_->CheckSeals());
  report.tokens_checked = seals.checked;
  for (auto& [name, reason] : seals.unreadable) {
    add(VaultFindingKind::kUnreadableToken, absl::StrCat("tokens/", name),
        absl::StrCat("the sealed secret does not open: ", reason),
        "restore the database and HSM token from a consistent backup, or "
        "import the token again under a new name");
  }

  // The keyring and its KEKs.
  ASSIGN_OR_RETURN(vault::KeyringRecordFacts keyring, keyring_->RecordFacts());
  for (std::uint32_t id : keyring.data_key_ids) {
    ++report.data_keys_checked;
    absl::StatusOr<std::shared_ptr<const vault::Aead>> dek = keyring_->Get(id);
    if (!dek.ok()) {
      add(VaultFindingKind::kUnreadableDataKey, absl::StrCat("data-keys/", id),
          std::string(dek.status().message()),
          "restore the database and HSM token from a consistent backup");
    }
  }
  auto in_hsm = [&](const vault::KeyringKek& kek) {
    for (const auto& [label, id] : secret_keys) {
      if (label == kek.label && (kek.id.empty() || id == kek.id)) return true;
    }
    return false;
  };
  const vault::KeyringKek& current = keyring.current_kek;
  if (!in_hsm(current)) {
    add(VaultFindingKind::kMissingKek, ObjectSubject(current.label, current.id),
        "the keyring's current key-encryption key is not in the HSM: no data "
        "key can be unwrapped at the next start",
        "restore the HSM token from its backup before restarting sejfd");
  }
  if (keyring.pending_kek) {
    const vault::KeyringKek& pending = *keyring.pending_kek;
    add(VaultFindingKind::kPendingKek, ObjectSubject(pending.label, pending.id),
        absl::StrCat("a key-encryption key rotation stopped before it "
                     "committed; nothing is wrapped under this KEK (",
                     in_hsm(pending) ? "it exists in the HSM"
                                     : "it was not created in the HSM",
                     ")"),
        "run `sejf vault rotate-kek`: it retires this KEK (destroys it by "
        "label and id) and completes a rotation");
  }
  for (const vault::KeyringKek& retired : keyring.retired_keks) {
    add(VaultFindingKind::kRetiredKek, ObjectSubject(retired.label, retired.id),
        absl::StrCat(
            "a retired key-encryption key not destroyed yet (",
            in_hsm(retired) ? "still in the HSM" : "already gone from the HSM",
            ")"),
        "restart sejfd or run `sejf vault rotate-kek`: both destroy retired "
        "KEKs (by label and id) and drop them from the keyring");
  }
  const std::string base = KekLabelBase(current.label);
  for (const auto& [label, id] : secret_keys) {
    if (!absl::StartsWith(label, base)) continue;
    const vault::KeyringKek kek{.label = label, .id = id};
    auto same = [&](const vault::KeyringKek& other) {
      return other.label == kek.label &&
             (other.id.empty() || other.id == kek.id);
    };
    bool recorded =
        same(current) || (keyring.pending_kek && same(*keyring.pending_kek));
    for (const vault::KeyringKek& retired : keyring.retired_keks) {
      recorded |= same(retired);
    }
    if (recorded) continue;
    add(VaultFindingKind::kUnrecordedKek, ObjectSubject(kek.label, kek.id),
        "a secret key labelled like sejf's key-encryption keys that the "
        "keyring does not record (nothing sejf stores is wrapped under it)",
        "if no sejfd sharing this token is rotating its KEK, remove the "
        "object with the HSM's own tools");
  }
  return report;
}

}  // namespace sejf::signer
