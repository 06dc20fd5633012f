#include "signer/custody/key_versions.h"

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "vault/records/credential_name.h"
#include "vault/records/key_record.h"

namespace sejf::signer {

std::string KeyVersionName(absl::string_view base, int version) {
  if (version <= 1) return std::string(base);
  return absl::StrCat(base, "@", version);
}

std::optional<KeyVersionRef> ParseKeyVersionName(absl::string_view name) {
  const std::size_t at = name.find('@');
  absl::string_view base = name.substr(0, at);
  if (!vault::ValidateCredentialName(base, "key name").ok()) {
    return std::nullopt;
  }
  if (at == absl::string_view::npos) return KeyVersionRef{std::string(base)};
  absl::string_view digits = name.substr(at + 1);
  int version = 0;
  if (digits.empty() || digits.size() > 4 || digits[0] == '0' ||
      !absl::c_all_of(digits, [](char c) { return absl::ascii_isdigit(c); }) ||
      !absl::SimpleAtoi(digits, &version) || version < 2 ||
      version > vault::kMaxKeyVersion) {
    return std::nullopt;
  }
  return KeyVersionRef{std::string(base), version};
}

absl::Status ValidateKeyName(absl::string_view name, absl::string_view field) {
  if (name.find('@') == absl::string_view::npos) {
    return vault::ValidateCredentialName(name, field);
  }
  if (ParseKeyVersionName(name).has_value()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, " is not a key name or a key version (NAME@2, NAME@3, …)"));
}

}  // namespace sejf::signer
