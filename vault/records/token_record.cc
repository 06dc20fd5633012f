#include "vault/records/token_record.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "vault/records/record_json.h"

namespace sejf::vault {
namespace {

using nlohmann::json;

constexpr int kFormat = 1;

constexpr std::pair<TokenPermission, absl::string_view> kPermissions[] = {
    {TokenPermission::kInvoiceRead, "InvoiceRead"},
    {TokenPermission::kInvoiceWrite, "InvoiceWrite"},
    {TokenPermission::kCredentialsRead, "CredentialsRead"},
    {TokenPermission::kCredentialsManage, "CredentialsManage"},
    {TokenPermission::kSubunitManage, "SubunitManage"},
    {TokenPermission::kEnforcementOperations, "EnforcementOperations"},
    {TokenPermission::kIntrospection, "Introspection"},
    {TokenPermission::kCollectiveIdentifierManage,
     "CollectiveIdentifierManage"},
};

// The code point starting at text[i] and its length; nullopt when text[i..]
// is not well-formed UTF-8 (RFC 3629: no overlongs, surrogates or values
// past U+10FFFF).
std::optional<std::pair<std::uint32_t, std::size_t>> DecodeUtf8(
    absl::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) return std::make_pair(std::uint32_t{b0}, std::size_t{1});
  std::size_t n = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (i + n > text.size()) return std::nullopt;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  return std::make_pair(cp, n);
}

}  // namespace

absl::string_view TokenPermissionName(TokenPermission permission) {
  for (const auto& [p, name] : kPermissions) {
    if (p == permission) return name;
  }
  return "";
}

std::optional<TokenPermission> TokenPermissionFromName(absl::string_view name) {
  for (const auto& [p, n] : kPermissions) {
    if (n == name) return p;
  }
  return std::nullopt;
}

absl::Status ValidateTokenSecret(const SecretBytes& secret,
                                 absl::string_view field) {
  constexpr absl::string_view kRule =
      "a KSeF token is 1 to 160 printable ASCII characters without whitespace";
  if (secret.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is empty; ", kRule));
  }
  if (secret.size() > kMaxTokenSecretSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is ", secret.size(), " characters long; ", kRule));
  }
  for (std::size_t i = 0; i < secret.size(); ++i) {
    const std::uint8_t c = secret[i];
    if (c >= 0x21 && c <= 0x7E) continue;
    absl::string_view what = c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
                                     c == '\v' || c == '\f'
                                 ? "a whitespace character"
                             : c < 0x80 ? "a control character"
                                        : "a byte outside ASCII";
    absl::string_view hint =
        (c == '\n' || c == '\r') && i + 1 >= secret.size() - 1
            ? " (a line end after the token? strip it)"
            : "";
    return absl::InvalidArgumentError(absl::StrCat(
        field, " has ", what, " at position ", i + 1, hint, "; ", kRule));
  }
  return absl::OkStatus();
}

absl::StatusOr<KsefContext> ParseTokenContext(absl::string_view text,
                                              absl::string_view field) {
  ASSIGN_OR_RETURN(KsefContext context, ParseKsefContext(text, field));
  if (context.type != KsefContextType::kNip &&
      context.type != KsefContextType::kInternalId) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is a ", KsefContextTypeName(context.type),
        " context; KSeF issues tokens only in \"nip:\" and \"internal-id:\" "
        "contexts"));
  }
  return context;
}

absl::Status ValidateTokenDescription(absl::string_view description,
                                      absl::string_view field) {
  if (description.size() > kMaxTokenDescriptionSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", description.size(), " bytes long; at most ",
                     kMaxTokenDescriptionSize, " are allowed"));
  }
  for (std::size_t i = 0; i < description.size();) {
    auto decoded = DecodeUtf8(description, i);
    if (!decoded) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " is not valid UTF-8 (at byte ", i + 1, ")"));
    }
    const std::uint32_t cp = decoded->first;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " has a control character at byte ", i + 1,
                       "; use one line of printable text"));
    }
    i += decoded->second;
  }
  return absl::OkStatus();
}

std::vector<TokenPermission> NormalizePermissions(
    std::vector<TokenPermission> permissions) {
  std::sort(permissions.begin(), permissions.end());
  permissions.erase(std::unique(permissions.begin(), permissions.end()),
                    permissions.end());
  return permissions;
}

std::string KsefTokenReferenceOf(const SecretBytes& secret) {
  absl::string_view text = SecretView(secret);
  const std::size_t bar = text.find('|');
  if (bar == absl::string_view::npos) return "";
  absl::string_view first = text.substr(0, bar);
  // YYYYMMDD-XX-HHHHHHHHHH-HHHHHHHHHH-HH: 36 characters.
  bool ok = first.size() == 36;
  for (std::size_t i = 0; ok && i < first.size(); ++i) {
    const char c = first[i];
    if (i == 8 || i == 11 || i == 22 || i == 33) {
      ok = c == '-';
    } else if (i < 8) {
      ok = c >= '0' && c <= '9';
    } else {
      ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
    }
  }
  return ok ? std::string(first) : "";
}

bool KsefStatusForbidsUse(absl::string_view ksef_status) {
  return !ksef_status.empty() && ksef_status != "Active";
}

std::string EncodeTokenRecord(const TokenRecord& r) {
  json permissions = json::array();
  for (TokenPermission p : r.permissions) {
    permissions.push_back(std::string(TokenPermissionName(p)));
  }
  json j = {{"format", kFormat},
            {"context", r.context},
            {"permissions", permissions},
            {"description", r.description},
            {"state", std::string(CredentialStateName(r.state))},
            {"version", r.version},
            {"create_time_us", absl::ToUnixMicros(r.create_time)},
            {"rotate_time_us", absl::ToUnixMicros(r.rotate_time)}};
  if (r.expire_time) j["expire_time_us"] = absl::ToUnixMicros(*r.expire_time);
  if (!r.sealed_secret.empty()) {
    j["sealed"] = absl::Base64Escape(r.sealed_secret);
  }
  if (!r.ksef_reference.empty()) j["ksef_reference"] = r.ksef_reference;
  if (!r.ksef_environment.empty()) j["ksef_environment"] = r.ksef_environment;
  if (!r.ksef_status.empty()) j["ksef_status"] = r.ksef_status;
  if (r.ksef_status_time) {
    j["ksef_status_time_us"] = absl::ToUnixMicros(*r.ksef_status_time);
  }
  return j.dump();
}

absl::StatusOr<TokenRecord> DecodeTokenRecord(absl::string_view data) {
  try {
    json j = json::parse(data.begin(), data.end());
    if (RecordInt64(j.at("format"), "format") != kFormat) {
      return absl::DataLossError(
          absl::StrCat("token record has format ", j.at("format").dump(),
                       "; this sejfd reads format ", kFormat));
    }
    TokenRecord r;
    r.context = j.at("context").get<std::string>();
    for (const json& name : j.at("permissions")) {
      auto p = TokenPermissionFromName(name.get<std::string>());
      if (!p) {
        return absl::DataLossError(absl::StrCat(
            "token record has an unknown permission ", name.dump()));
      }
      r.permissions.push_back(*p);
    }
    r.description = j.at("description").get<std::string>();
    auto state = CredentialStateFromName(j.at("state").get<std::string>());
    if (!state) {
      return absl::DataLossError("token record has an unknown state");
    }
    r.state = *state;
    r.version = RecordInt64(j.at("version"), "version");
    if (r.version < 1) {
      return absl::DataLossError("token record has a version below 1");
    }
    r.create_time = absl::FromUnixMicros(
        RecordInt64(j.at("create_time_us"), "create_time_us"));
    r.rotate_time = absl::FromUnixMicros(
        RecordInt64(j.at("rotate_time_us"), "rotate_time_us"));
    if (j.contains("expire_time_us")) {
      r.expire_time = absl::FromUnixMicros(
          RecordInt64(j.at("expire_time_us"), "expire_time_us"));
    }
    if (j.contains("sealed")) {
      if (!absl::Base64Unescape(j.at("sealed").get<std::string>(),
                                &r.sealed_secret)) {
        return absl::DataLossError("token record: sealed is not Base64");
      }
    }
    if (j.contains("ksef_reference")) {
      r.ksef_reference = j.at("ksef_reference").get<std::string>();
    }
    if (j.contains("ksef_environment")) {
      r.ksef_environment = j.at("ksef_environment").get<std::string>();
    }
    if (j.contains("ksef_status")) {
      r.ksef_status = j.at("ksef_status").get<std::string>();
    }
    if (j.contains("ksef_status_time_us")) {
      r.ksef_status_time = absl::FromUnixMicros(
          RecordInt64(j.at("ksef_status_time_us"), "ksef_status_time_us"));
    }
    if (r.state != CredentialState::kDestroyed && r.sealed_secret.empty()) {
      return absl::DataLossError(
          "token record has no sealed secret but is not destroyed");
    }
    return r;
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("token record is damaged: ", e.what()));
  }
}

}  // namespace sejf::vault
