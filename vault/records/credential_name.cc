#include "vault/records/credential_name.h"

#include "absl/strings/str_cat.h"
#include "common/echo.h"

namespace sejf::vault {
namespace {

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool IsPrintableAscii(absl::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateCredentialName(absl::string_view name,
                                    absl::string_view field) {
  bool ok = !name.empty() && name.size() <= kMaxCredentialNameSize &&
            IsLowerAlnum(name.front());
  for (char c : name) {
    ok = ok && (IsLowerAlnum(c) || c == '.' || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  // The name is the caller's: shown only when printable, and clipped.
  std::string shown =
      IsPrintableAscii(name) ? absl::StrCat(" \"", ClipEcho(name), "\"") : "";
  return absl::InvalidArgumentError(absl::StrCat(
      field, shown,
      " is not valid: use 1 to 64 characters of a-z, 0-9, '.', '_' and '-', "
      "starting with a letter or digit"));
}

}  // namespace sejf::vault
