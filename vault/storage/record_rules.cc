#include "vault/storage/record_rules.h"

#include <cstddef>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "vault/storage/storage.h"

namespace sejf::vault {
namespace {

constexpr std::size_t kMaxKindSize = 32;

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when it is
// malformed (truncated, overlong, surrogate, beyond U+10FFFF).
std::size_t DecodeUtf8(absl::string_view s, std::size_t i, char32_t& cp) {
  const auto byte = [&](std::size_t k) {
    return static_cast<unsigned char>(s[k]);
  };
  const unsigned char b0 = byte(i);
  std::size_t len;
  char32_t min;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

std::string Quoted(absl::string_view s) {
  return absl::StrCat("\"", absl::Utf8SafeCHexEscape(s), "\"");
}

std::string RecordRef(absl::string_view kind, absl::string_view name) {
  return absl::StrCat(absl::Utf8SafeCHexEscape(kind), " record ", Quoted(name));
}

}  // namespace

absl::Status ValidateKind(absl::string_view kind) {
  bool ok = !kind.empty() && kind.size() <= kMaxKindSize && IsLower(kind[0]);
  for (std::size_t i = 1; ok && i < kind.size(); ++i) {
    ok = IsLower(kind[i]) || IsDigit(kind[i]) || kind[i] == '_';
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "kind ", Quoted(kind),
      " is invalid: it must be 1 to 32 characters of a-z, 0-9 and _, "
      "starting with a letter"));
}

absl::Status ValidateName(absl::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError("name must not be empty");
  }
  if (name.size() > kMaxNameSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("name is ", name.size(), " bytes long; at most ",
                     kMaxNameSize, " bytes are allowed"));
  }
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = 0;
    std::size_t len = DecodeUtf8(name, i, cp);
    if (len == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "name ", Quoted(name), " is not valid UTF-8 (at byte ", i, ")"));
    }
    if (IsControl(cp)) {
      return absl::InvalidArgumentError(
          absl::StrCat("name ", Quoted(name),
                       " contains a control character (at byte ", i, ")"));
    }
    i += len;
  }
  return absl::OkStatus();
}

absl::Status ValidateData(absl::string_view data) {
  if (data.size() <= kMaxDataSize) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("data is ", data.size(), " bytes long; at most ",
                   kMaxDataSize, " bytes are allowed"));
}

absl::Status ValidateExpectedVersion(std::int64_t expected_version) {
  if (expected_version >= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("expected_version must be 1 or more (the version last "
                   "read), got ",
                   expected_version));
}

absl::StatusOr<int> NormalizeListLimit(int limit) {
  if (limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must not be negative, got ", limit,
                     " (0 means the default, ", kDefaultListLimit, ")"));
  }
  if (limit == 0) return kDefaultListLimit;
  return limit > kMaxListLimit ? kMaxListLimit : limit;
}

absl::Time StorageTime(absl::Time t) {
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

absl::Status AlreadyExistsError(absl::string_view kind,
                                absl::string_view name) {
  return absl::AlreadyExistsError(
      absl::StrCat(RecordRef(kind, name), " already exists"));
}

absl::Status NotFoundError(absl::string_view kind, absl::string_view name) {
  return absl::NotFoundError(
      absl::StrCat(RecordRef(kind, name), " does not exist"));
}

absl::Status VersionConflictError(absl::string_view kind,
                                  absl::string_view name,
                                  std::int64_t expected_version,
                                  std::int64_t actual_version) {
  return absl::AbortedError(absl::StrCat(
      RecordRef(kind, name), " was changed concurrently (it is at version ",
      actual_version, ", the change expected version ", expected_version,
      "); read it again and retry"));
}

}  // namespace sejf::vault
