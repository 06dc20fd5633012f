// KeyCustody's key versions (key_versions.h): reserving and generating a
// successor, listing versions, the current one.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "signer/custody/key_custody.h"

namespace sejf::signer {
namespace {

absl::Status NotABase(absl::string_view name) {
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", name, "\" is a key version; name the key itself (without @)"));
}

bool UsableNow(const Key& key, absl::Time now) {
  const vault::KeyRecord& r = key.record;
  return r.state == vault::CredentialState::kActive && r.certificate &&
         now >= r.certificate->not_before && now <= r.certificate->not_after;
}

}  // namespace

absl::StatusOr<std::vector<Key>> KeyCustody::LaterVersions(const Key& base) {
  std::vector<Key> later;
  for (int v = base.record.latest_version; v >= 2; --v) {
    absl::StatusOr<Key> version = Get(KeyVersionName(base.name, v));
    if (absl::IsNotFound(version.status())) continue;  // reserved, not made
    if (!version.ok()) return version.status();
    later.push_back(*std::move(version));
  }
  return later;
}

absl::StatusOr<int> KeyCustody::ReserveVersion(absl::string_view base) {
  if (absl::StrContains(base, '@')) return NotABase(base);
  ASSIGN_OR_RETURN(Key key, Get(base));
  if (key.record.state == vault::CredentialState::kDestroyed) {
    return absl::FailedPreconditionError(
        absl::StrCat("key \"", base, "\" is destroyed"));
  }
  if (key.record.latest_version >= vault::kMaxKeyVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("key \"", base, "\" has reached ", vault::kMaxKeyVersion,
                     " versions; enroll a new key"));
  }
  ++key.record.latest_version;
  ASSIGN_OR_RETURN(Key saved, Save(std::move(key)));
  return saved.record.latest_version;
}

absl::StatusOr<Key> KeyCustody::GenerateVersion(absl::string_view base,
                                                int version,
                                                hsm::KeyAlgorithm algorithm) {
  if (absl::StrContains(base, '@')) return NotABase(base);
  ASSIGN_OR_RETURN(Key key, Get(base));
  if (version < 2 || version > key.record.latest_version) {
    return absl::InvalidArgumentError(absl::StrCat(
        "version ", version, " of key \"", base, "\" was not reserved"));
  }
  return GenerateNamed(KeyVersionName(base, version), algorithm,
                       key.record.usage);
}

absl::StatusOr<std::vector<Key>> KeyCustody::Versions(absl::string_view base) {
  if (absl::StrContains(base, '@')) return NotABase(base);
  ASSIGN_OR_RETURN(Key key, Get(base));
  ASSIGN_OR_RETURN(std::vector<Key> later, LaterVersions(key));
  std::vector<Key> all;
  all.push_back(std::move(key));
  for (auto it = later.rbegin(); it != later.rend(); ++it) {
    all.push_back(std::move(*it));
  }
  return all;
}

absl::StatusOr<Key> KeyCustody::Current(absl::string_view base) {
  ASSIGN_OR_RETURN(std::vector<Key> all, Versions(base));
  const absl::Time now = clock_->Now();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (UsableNow(*it, now)) return *it;
  }
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->record.certificate) return *it;
  }
  return all.front();
}

absl::StatusOr<Key> KeyCustody::DisableVersion(absl::string_view base,
                                               int version) {
  if (absl::StrContains(base, '@')) return NotABase(base);
  return SetStateOf(KeyVersionName(base, version),
                    vault::CredentialState::kDisabled);
}

}  // namespace sejf::signer
