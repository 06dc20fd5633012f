#include "signer/x509/distinguished_name.h"

#include <openssl/asn1.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <cstdint>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/echo.h"
#include "common/openssl_error.h"
#include "common/status_macros.h"

namespace sejf::signer {
namespace {

struct AttributeSpec {
  DnAttribute attribute;
  absl::string_view name;       // the short name we write
  absl::string_view long_name;  // also accepted ("" when none)
  int nid;
  int string_type;     // V_ASN1_UTF8STRING or V_ASN1_PRINTABLESTRING
  int max_characters;  // 0: no limit of our own
};

constexpr AttributeSpec kAttributes[] = {
    {DnAttribute::kCommonName, "CN", "commonName", NID_commonName,
     V_ASN1_UTF8STRING, 64},
    {DnAttribute::kSurname, "SN", "surname", NID_surname, V_ASN1_UTF8STRING, 0},
    {DnAttribute::kGivenName, "GN", "givenName", NID_givenName,
     V_ASN1_UTF8STRING, 0},
    {DnAttribute::kSerialNumber, "serialNumber", "", NID_serialNumber,
     V_ASN1_PRINTABLESTRING, 64},
    {DnAttribute::kCountryName, "C", "countryName", NID_countryName,
     V_ASN1_PRINTABLESTRING, 2},
    {DnAttribute::kOrganizationName, "O", "organizationName",
     NID_organizationName, V_ASN1_UTF8STRING, 64},
    {DnAttribute::kOrganizationIdentifier, "organizationIdentifier", "",
     NID_organizationIdentifier, V_ASN1_UTF8STRING, 0},
    {DnAttribute::kUniqueIdentifier, "uniqueIdentifier", "",
     NID_x500UniqueIdentifier, V_ASN1_UTF8STRING, 0},
};

constexpr absl::string_view kAllowedList =
    "CN, SN, GN, serialNumber, C, O, organizationIdentifier, uniqueIdentifier";

const AttributeSpec& Spec(DnAttribute attribute) {
  for (const AttributeSpec& spec : kAttributes) {
    if (spec.attribute == attribute) return spec;
  }
  return kAttributes[0];  // unreachable: every enumerator is in the table
}

const AttributeSpec* FindSpec(absl::string_view name) {
  for (const AttributeSpec& spec : kAttributes) {
    if (absl::EqualsIgnoreCase(name, spec.name) ||
        (!spec.long_name.empty() &&
         absl::EqualsIgnoreCase(name, spec.long_name))) {
      return &spec;
    }
  }
  return nullptr;
}

// Decodes one UTF-8 code point at `s[*i]`, advancing *i; nullopt for invalid
// UTF-8 (overlong forms, surrogates and values past U+10FFFF included).
std::optional<std::uint32_t> NextCodePoint(absl::string_view s,
                                           std::size_t* i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(*i);
  int extra;
  std::uint32_t cp;
  if (b0 < 0x80) {
    ++*i;
    return b0;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    extra = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    extra = 2;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    extra = 3;
    cp = b0 & 0x07;
  } else {
    return std::nullopt;
  }
  if (*i + extra >= s.size()) return std::nullopt;
  for (int k = 1; k <= extra; ++k) {
    unsigned char b = byte(*i + k);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  *i += extra + 1;
  return cp;
}

bool IsPrintableStringChar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
      (c >= '0' && c <= '9')) {
    return true;
  }
  return absl::string_view(" '()+,-./:=?").find(c) != absl::string_view::npos;
}

// The 1-based character (not byte) position of byte `offset` in `text`.
std::size_t CharacterPosition(absl::string_view text, std::size_t offset) {
  std::size_t position = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++position;
  }
  return position;
}

absl::Status AtCharacter(absl::string_view text, std::size_t offset,
                         absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("subject, at character ", CharacterPosition(text, offset),
                   ": ", message));
}

// One `attr=value` item of a DN string, before unescaping.
struct RawItem {
  std::size_t offset;     // of the item's first byte in the text
  absl::string_view raw;  // the item, escapes still in
};

// Splits at commas not preceded by a backslash escape; checks the escapes.
absl::StatusOr<std::vector<RawItem>> SplitItems(absl::string_view text) {
  std::vector<RawItem> items;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      items.push_back({start, text.substr(start, i - start)});
      start = i + 1;
    } else if (text[i] == '\\') {
      if (i + 1 == text.size()) {
        return AtCharacter(text, i,
                           "'\\' at the end; write \\, for a comma and \\\\ "
                           "for a backslash");
      }
      if (text[i + 1] != ',' && text[i + 1] != '\\') {
        return AtCharacter(
            text, i,
            absl::StrCat("unsupported escape \"\\", text.substr(i + 1, 1),
                         "\"; only \\, (comma) and \\\\ (backslash) exist"));
      }
      ++i;  // skip the escaped character
    }
  }
  return items;
}

std::string Unescape(absl::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) ++i;
    out.push_back(raw[i]);
  }
  return out;
}

// Leading and trailing spaces removed; `*skipped` gets how many leading.
absl::string_view TrimSpaces(absl::string_view s, std::size_t* skipped) {
  std::size_t begin = 0;
  while (begin < s.size() && s[begin] == ' ') ++begin;
  std::size_t end = s.size();
  while (end > begin && s[end - 1] == ' ') --end;
  // A trailing "\ " cannot occur: "\ " is not an escape.
  if (skipped != nullptr) *skipped = begin;
  return s.substr(begin, end - begin);
}

}  // namespace

absl::string_view DnAttributeName(DnAttribute attribute) {
  return Spec(attribute).name;
}

absl::Status ValidateDnValue(DnAttribute attribute, absl::string_view value) {
  const AttributeSpec& spec = Spec(attribute);
  if (value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty value for ", spec.name));
  }
  int characters = 0;
  absl::string_view first_unprintable;  // for PrintableString attributes
  for (std::size_t i = 0; i < value.size();) {
    std::size_t at = i;
    std::optional<std::uint32_t> cp = NextCodePoint(value, &i);
    if (!cp) {
      return absl::InvalidArgumentError(
          absl::StrCat("value of ", spec.name, " is not valid UTF-8 (at byte ",
                       at + 1, ")"));
    }
    ++characters;
    if (*cp < 0x20 || (*cp >= 0x7F && *cp <= 0x9F)) {
      return absl::InvalidArgumentError(
          absl::StrCat("value of ", spec.name,
                       absl::StrFormat(" contains a control character "
                                       "(U+%04X) at character %d",
                                       *cp, characters)));
    }
    if (first_unprintable.empty() &&
        (*cp >= 0x80 || !IsPrintableStringChar(static_cast<char>(*cp)))) {
      first_unprintable = value.substr(at, i - at);
    }
  }
  if (attribute == DnAttribute::kCountryName) {
    if (value.size() != 2 || value[0] < 'A' || value[0] > 'Z' ||
        value[1] < 'A' || value[1] > 'Z') {
      return absl::InvalidArgumentError(
          absl::StrCat("C must be a two-letter country code in capitals, "
                       "e.g. PL (got \"",
                       value, "\")"));
    }
    return absl::OkStatus();
  }
  if (spec.string_type == V_ASN1_PRINTABLESTRING &&
      !first_unprintable.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.name,
                     " may contain only A-Z, a-z, 0-9, space and '()+,-./:=? "
                     "(PrintableString); found \"",
                     first_unprintable, "\""));
  }
  if (spec.max_characters > 0 && characters > spec.max_characters) {
    return absl::InvalidArgumentError(absl::StrCat(
        "value of ", spec.name, " has ", characters, " characters; at most ",
        spec.max_characters, " are allowed (X.520 upper bound)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DistinguishedName> DistinguishedName::Parse(
    absl::string_view text) {
  if (TrimSpaces(text, nullptr).empty()) {
    return absl::InvalidArgumentError(
        "the subject is empty; write e.g. \"CN=Jan Kowalski, C=PL\"");
  }
  ASSIGN_OR_RETURN(std::vector<RawItem> items, SplitItems(text));
  std::vector<DnEntry> entries;
  for (const RawItem& item : items) {
    std::size_t skipped = 0;
    absl::string_view trimmed = TrimSpaces(item.raw, &skipped);
    std::size_t offset = item.offset + skipped;
    if (trimmed.empty()) {
      return AtCharacter(text, item.offset,
                         "empty item; is there a stray comma?");
    }
    std::size_t eq = trimmed.find('=');
    if (eq == absl::string_view::npos) {
      return AtCharacter(
          text, offset,
          absl::StrCat("expected attr=value, got \"", ClipEcho(trimmed), "\""));
    }
    absl::string_view name = TrimSpaces(trimmed.substr(0, eq), nullptr);
    if (name.empty()) {
      return AtCharacter(text, offset, "attribute name missing before '='");
    }
    const AttributeSpec* spec = FindSpec(name);
    if (spec == nullptr) {
      return AtCharacter(text, offset,
                         absl::StrCat("unknown attribute \"", ClipEcho(name),
                                      "\" (allowed: ", kAllowedList, ")"));
    }
    std::size_t value_skipped = 0;
    absl::string_view raw_value =
        TrimSpaces(trimmed.substr(eq + 1), &value_skipped);
    std::string value = Unescape(raw_value);
    if (absl::Status status = ValidateDnValue(spec->attribute, value);
        !status.ok()) {
      return AtCharacter(text, offset + eq + 1 + value_skipped,
                         status.message());
    }
    entries.push_back({spec->attribute, std::move(value)});
  }
  return DistinguishedName(std::move(entries));
}

absl::StatusOr<DistinguishedName> DistinguishedName::FromEntries(
    std::vector<DnEntry> entries) {
  if (entries.empty()) {
    return absl::InvalidArgumentError("the subject has no attributes");
  }
  for (const DnEntry& entry : entries) {
    RETURN_IF_ERROR(ValidateDnValue(entry.attribute, entry.value));
  }
  return DistinguishedName(std::move(entries));
}

std::string DistinguishedName::ToString() const {
  std::vector<std::string> items;
  for (const DnEntry& entry : entries_) {
    std::string item = absl::StrCat(DnAttributeName(entry.attribute), "=");
    for (char c : entry.value) {
      if (c == ',' || c == '\\') item.push_back('\\');
      item.push_back(c);
    }
    items.push_back(std::move(item));
  }
  return absl::StrJoin(items, ",");
}

absl::StatusOr<X509NamePtr> DistinguishedName::ToX509Name() const {
  X509NamePtr name(X509_NAME_new());
  if (name == nullptr) return OpenSslInternal("cannot allocate an X509_NAME");
  for (const DnEntry& entry : entries_) {
    const AttributeSpec& spec = Spec(entry.attribute);
    // A plain (non-MBSTRING) type makes OpenSSL store the bytes as given,
    // with exactly that string type.
    if (X509_NAME_add_entry_by_NID(
            name.get(), spec.nid, spec.string_type,
            reinterpret_cast<const unsigned char*>(entry.value.data()),
            static_cast<int>(entry.value.size()), /*loc=*/-1,
            /*set=*/0) != 1) {
      return OpenSslInternal(
          absl::StrCat("cannot add ", spec.name, " to the subject"));
    }
  }
  return name;
}

}  // namespace sejf::signer
