#include "hsm/pkcs11_uri.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sejf::hsm {
namespace {

constexpr absl::string_view kScheme = "pkcs11:";

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// RFC 7512 pk11-p-res-avail: allowed unencoded in path and query values.
bool IsResAvail(char c) {
  return absl::string_view(":[]@!$'()*+,=").find(c) != absl::string_view::npos;
}

bool AllowedInPathValue(char c) {
  return IsUnreserved(c) || IsResAvail(c) || c == '&';
}

bool AllowedInQueryValue(char c) {
  return IsUnreserved(c) || IsResAvail(c) || c == '/' || c == '?' || c == '|';
}

void AppendPercentEncoded(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[byte >> 4];
  out += kHex[byte & 0x0f];
}

// Percent-decodes `value`, refusing characters `allowed` rejects. `where`
// names the attribute for error messages.
absl::StatusOr<std::string> Decode(absl::string_view value,
                                   bool (*allowed)(char),
                                   absl::string_view where) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '%') {
      if (i + 2 >= value.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "pkcs11 URI: incomplete percent escape in \"", where, "\""));
      }
      const char hi = value[i + 1];
      const char lo = value[i + 2];
      if (!absl::ascii_isxdigit(hi) || !absl::ascii_isxdigit(lo)) {
        return absl::InvalidArgumentError(
            absl::StrCat("pkcs11 URI: malformed percent escape in \"", where,
                         "\" (expected % and two hex digits)"));
      }
      auto nibble = [](char h) {
        return absl::ascii_isdigit(h) ? h - '0'
                                      : absl::ascii_tolower(h) - 'a' + 10;
      };
      out += static_cast<char>(nibble(hi) << 4 | nibble(lo));
      i += 2;
      continue;
    }
    if (!allowed(c)) {
      const auto byte = static_cast<unsigned char>(c);
      return absl::InvalidArgumentError(absl::StrCat(
          "pkcs11 URI: character ",
          byte > 0x20 && byte < 0x7f ? absl::StrCat("'", std::string(1, c), "'")
                                     : absl::StrCat("0x", absl::Hex(byte)),
          " in \"", where, "\" must be percent-encoded"));
    }
    out += c;
  }
  return out;
}

bool IsKnownPathAttribute(absl::string_view name) {
  static const std::set<absl::string_view>* const kNames =
      new std::set<absl::string_view>{"token",
                                      "manufacturer",
                                      "serial",
                                      "model",
                                      "library-manufacturer",
                                      "library-description",
                                      "library-version",
                                      "object",
                                      "type",
                                      "id",
                                      "slot-description",
                                      "slot-manufacturer",
                                      "slot-id"};
  return kNames->count(name) != 0;
}

absl::Status ParsePath(absl::string_view path, Pkcs11Uri& uri) {
  if (path.empty()) return absl::OkStatus();
  std::set<std::string> seen;
  for (absl::string_view attribute : absl::StrSplit(path, ';')) {
    const size_t eq = attribute.find('=');
    if (attribute.empty()) {
      return absl::InvalidArgumentError(
          "pkcs11 URI: empty path attribute (\";;\" or a trailing \";\")");
    }
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pkcs11 URI: path attribute \"", attribute, "\" has no '='"));
    }
    const std::string name(attribute.substr(0, eq));
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pkcs11 URI: attribute \"", name, "\" appears more than once"));
    }
    const bool vendor = absl::StartsWith(name, "x-");
    if (!vendor && !IsKnownPathAttribute(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("pkcs11 URI: unknown path attribute \"", name, "\""));
    }
    absl::StatusOr<std::string> value =
        Decode(attribute.substr(eq + 1), &AllowedInPathValue, name);
    if (!value.ok()) return value.status();
    if (name == "token") {
      uri.token = *std::move(value);
    } else if (name == "object") {
      uri.object = *std::move(value);
    } else if (name == "id") {
      uri.id = *std::move(value);
    } else if (name == "serial") {
      uri.serial = *std::move(value);
    } else if (name == "type") {
      static const std::set<absl::string_view>* const kTypes =
          new std::set<absl::string_view>{"public", "private", "cert",
                                          "secret-key", "data"};
      if (kTypes->count(*value) == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "pkcs11 URI: type must be one of public, private, cert, "
            "secret-key, data; not \"",
            *value, "\""));
      }
      uri.type = *std::move(value);
    }
  }
  return absl::OkStatus();
}

absl::Status ParseQuery(absl::string_view query) {
  if (query.empty()) return absl::OkStatus();
  std::set<std::string> seen;
  for (absl::string_view attribute : absl::StrSplit(query, '&')) {
    const size_t eq = attribute.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pkcs11 URI: query attribute \"", attribute, "\" has no '='"));
    }
    const std::string name(attribute.substr(0, eq));
    if (name == "pin-value") {
      // Not quoted: the value is a PIN.
      return absl::InvalidArgumentError(
          "pkcs11 URI: pin-value is not accepted; sejf takes the token PIN "
          "from its configuration (a PIN file), never from a URI");
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pkcs11 URI: attribute \"", name, "\" appears more than once"));
    }
    if (name != "pin-source" && name != "module-name" &&
        name != "module-path" && !absl::StartsWith(name, "x-")) {
      return absl::InvalidArgumentError(
          absl::StrCat("pkcs11 URI: unknown query attribute \"", name, "\""));
    }
    absl::StatusOr<std::string> value =
        Decode(attribute.substr(eq + 1), &AllowedInQueryValue, name);
    if (!value.ok()) return value.status();
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatPkcs11Uri(absl::string_view token_label,
                            absl::string_view object_label,
                            absl::string_view id) {
  std::string out(kScheme);
  auto append_text = [&out](absl::string_view text) {
    for (char c : text) {
      if (IsUnreserved(c)) {
        out += c;
      } else {
        AppendPercentEncoded(out, static_cast<unsigned char>(c));
      }
    }
  };
  out += "token=";
  append_text(token_label);
  if (!object_label.empty()) {
    out += ";object=";
    append_text(object_label);
  }
  out += ";id=";
  for (char c : id) AppendPercentEncoded(out, static_cast<unsigned char>(c));
  out += ";type=private";
  return out;
}

absl::StatusOr<Pkcs11Uri> ParsePkcs11Uri(absl::string_view uri) {
  if (uri.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(uri.substr(0, kScheme.size()), kScheme)) {
    return absl::InvalidArgumentError("pkcs11 URI must start with \"pkcs11:\"");
  }
  absl::string_view rest = uri.substr(kScheme.size());
  if (rest.find('#') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "pkcs11 URI: '#' (a fragment) is not allowed; percent-encode it as "
        "%23");
  }
  absl::string_view path = rest;
  absl::string_view query;
  if (const size_t q = rest.find('?'); q != absl::string_view::npos) {
    path = rest.substr(0, q);
    query = rest.substr(q + 1);
  }
  Pkcs11Uri parsed;
  if (absl::Status s = ParsePath(path, parsed); !s.ok()) return s;
  if (absl::Status s = ParseQuery(query); !s.ok()) return s;
  return parsed;
}

}  // namespace sejf::hsm
