#include "signer/ministry/ministry_certificate.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/pem_blocks.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "signer/x509/certificate_info.h"

namespace sejf::signer {
namespace {

using Json = nlohmann::json;

constexpr std::pair<MinistryCertificateUsage, absl::string_view> kUsages[] = {
    {MinistryCertificateUsage::kKsefTokenEncryption, "KsefTokenEncryption"},
    {MinistryCertificateUsage::kSymmetricKeyEncryption,
     "SymmetricKeyEncryption"},
};

std::string UtcText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string Sha256(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(),
                 nullptr) != 1) {
    DrainOpenSslErrors();
    return "";
  }
  return std::string(reinterpret_cast<const char*>(digest), size);
}

absl::Status Refuse(absl::string_view item, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(item, ": ", problem, "; nothing was imported"));
}

// OK when the certificate's key can take RSA-OAEP: RSA of at least
// kMinMinistryRsaBits bits.
absl::Status CheckKey(absl::string_view item, absl::string_view spki_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (key == nullptr) {
    DrainOpenSslErrors();
    return Refuse(item, "the certificate's public key cannot be read");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return Refuse(item, absl::StrCat("the certificate's key is ",
                                     EVP_PKEY_get0_type_name(key.get()),
                                     "; Ministry certificates must carry an "
                                     "RSA key (tokens are encrypted with "
                                     "RSA-OAEP)"));
  }
  int bits = EVP_PKEY_get_bits(key.get());
  if (bits < kMinMinistryRsaBits) {
    return Refuse(item, absl::StrCat("the certificate's key is RSA-", bits,
                                     ", weaker than the RSA-",
                                     kMinMinistryRsaBits, " required"));
  }
  return absl::OkStatus();
}

// Builds the certificate from its DER; the ids are derived (PEM/DER input).
absl::StatusOr<MinistryCertificate> FromDer(absl::string_view item,
                                            absl::string_view der,
                                            absl::Time now) {
  auto info = ParseCertificate(der);
  if (!info.ok()) {
    return Refuse(item, absl::StrCat("not an X.509 certificate (",
                                     info.status().message(), ")"));
  }
  RETURN_IF_ERROR(CheckKey(item, info->spki_der));
  if (info->not_after < now) {
    return Refuse(item, absl::StrCat("the certificate expired on ",
                                     UtcText(info->not_after)));
  }
  MinistryCertificate c;
  c.der = info->der;
  c.subject = info->subject;
  c.issuer = info->issuer;
  c.serial_hex = info->serial_hex;
  c.valid_from = info->not_before;
  c.valid_to = info->not_after;
  c.spki_sha256 = Sha256Base64(info->spki_der);
  c.public_key_id = c.spki_sha256;
  c.certificate_id = Sha256Base64(info->der);
  return c;
}

absl::StatusOr<std::string> StringMember(const Json& item,
                                         absl::string_view where,
                                         const char* member) {
  auto it = item.find(member);
  if (it == item.end()) {
    return Refuse(where, absl::StrCat("member \"", member, "\" is missing"));
  }
  if (!it->is_string()) {
    return Refuse(where,
                  absl::StrCat("member \"", member, "\" must be a string"));
  }
  return it->get<std::string>();
}

// Strict standard Base64 (with padding, no whitespace).
absl::StatusOr<std::string> Base64Member(const Json& item,
                                         absl::string_view where,
                                         const char* member) {
  ASSIGN_OR_RETURN(std::string text, StringMember(item, where, member));
  std::string bytes;
  if (text.empty() || !absl::Base64Unescape(text, &bytes) ||
      absl::Base64Escape(bytes) != text) {
    return Refuse(
        where, absl::StrCat("member \"", member, "\" is not standard Base64"));
  }
  return bytes;
}

// A Base64 SHA-256 id (certificateId, publicKeyId): 32 bytes.
absl::StatusOr<std::string> IdMember(const Json& item, absl::string_view where,
                                     const char* member) {
  ASSIGN_OR_RETURN(std::string bytes, Base64Member(item, where, member));
  if (bytes.size() != 32) {
    return Refuse(where, absl::StrCat("member \"", member,
                                      "\" must be the Base64 of 32 bytes "
                                      "(a SHA-256); it has ",
                                      bytes.size()));
  }
  return absl::Base64Escape(bytes);
}

absl::StatusOr<absl::Time> TimeMember(const Json& item, absl::string_view where,
                                      const char* member) {
  ASSIGN_OR_RETURN(std::string text, StringMember(item, where, member));
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return Refuse(where, absl::StrCat("member \"", member,
                                      "\" is not an RFC 3339 date-time such as "
                                      "2025-09-29T06:03:19Z"));
  }
  return t;
}

absl::StatusOr<std::vector<MinistryCertificateUsage>> UsageMember(
    const Json& item, absl::string_view where) {
  auto it = item.find("usage");
  if (it == item.end()) return Refuse(where, "member \"usage\" is missing");
  if (!it->is_array() || it->empty()) {
    return Refuse(where, "member \"usage\" must be a non-empty array");
  }
  std::vector<MinistryCertificateUsage> usages;
  for (const Json& u : *it) {
    std::optional<MinistryCertificateUsage> usage;
    if (u.is_string())
      usage = MinistryCertificateUsageFromName(u.get<std::string>());
    if (!usage.has_value()) {
      std::string shown = u.is_string() ? u.get<std::string>() : u.dump();
      if (shown.size() > 40 ||
          !std::all_of(shown.begin(), shown.end(), absl::ascii_isprint)) {
        shown = "(unprintable)";
      }
      return Refuse(where, absl::StrCat("unknown usage \"", shown,
                                        "\"; expected KsefTokenEncryption or "
                                        "SymmetricKeyEncryption"));
    }
    usages.push_back(*usage);
  }
  std::sort(usages.begin(), usages.end());
  usages.erase(std::unique(usages.begin(), usages.end()), usages.end());
  return usages;
}

absl::StatusOr<MinistryCertificate> FromJsonItem(const Json& item,
                                                 std::size_t index,
                                                 absl::Time now) {
  std::string where = absl::StrCat("certificate list item [", index, "]");
  if (!item.is_object()) return Refuse(where, "must be a JSON object");
  ASSIGN_OR_RETURN(std::string der, Base64Member(item, where, "certificate"));
  ASSIGN_OR_RETURN(std::string certificate_id,
                   IdMember(item, where, "certificateId"));
  ASSIGN_OR_RETURN(std::string public_key_id,
                   IdMember(item, where, "publicKeyId"));
  ASSIGN_OR_RETURN(absl::Time valid_from, TimeMember(item, where, "validFrom"));
  ASSIGN_OR_RETURN(absl::Time valid_to, TimeMember(item, where, "validTo"));
  ASSIGN_OR_RETURN(std::vector<MinistryCertificateUsage> usages,
                   UsageMember(item, where));
  if (valid_to <= valid_from) {
    return Refuse(where, "validTo is not after validFrom");
  }
  if (valid_to < now) {
    return Refuse(where, absl::StrCat("the certificate expired on ",
                                      UtcText(valid_to), " (validTo)"));
  }
  ASSIGN_OR_RETURN(MinistryCertificate c, FromDer(where, der, now));
  c.certificate_id = std::move(certificate_id);
  c.public_key_id = std::move(public_key_id);
  c.usages = std::move(usages);
  c.valid_from = std::max(c.valid_from, valid_from);
  c.valid_to = std::min(c.valid_to, valid_to);
  if (c.valid_to <= c.valid_from) {
    return Refuse(where,
                  "validFrom..validTo does not overlap the certificate's own "
                  "validity");
  }
  c.source = MinistryCertificateSource::kJson;
  return c;
}

absl::StatusOr<std::vector<MinistryCertificate>> ParseJson(
    absl::string_view content, absl::Time now) {
  Json list;
  try {
    list = Json::parse(content.begin(), content.end());
  } catch (const std::exception& e) {
    return Refuse("certificate list",
                  absl::StrCat("not valid JSON (", e.what(), ")"));
  }
  if (!list.is_array()) {
    return Refuse("certificate list",
                  "must be the JSON array GET /security/public-key-"
                  "certificates returns");
  }
  std::vector<MinistryCertificate> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(MinistryCertificate c, FromJsonItem(list[i], i, now));
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<MinistryCertificate>> ParsePem(
    absl::string_view content, MinistryCertificateUsage usage, absl::Time now) {
  absl::StatusOr<std::vector<PemBlock>> read = ReadPemBlocks(content);
  if (!read.ok()) return Refuse("PEM input", read.status().message());
  std::vector<PemBlock> blocks = *std::move(read);
  if (blocks.empty()) {
    return Refuse("PEM input", "it has no CERTIFICATE block");
  }
  std::vector<MinistryCertificate> out;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    std::string where = absl::StrCat("PEM certificate ", i + 1);
    if (blocks[i].name != "CERTIFICATE") {
      return Refuse(where, absl::StrCat("a \"", blocks[i].name,
                                        "\" block where a CERTIFICATE was "
                                        "expected"));
    }
    ASSIGN_OR_RETURN(MinistryCertificate c, FromDer(where, blocks[i].der, now));
    c.usages = {usage};
    c.source = MinistryCertificateSource::kPem;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

absl::string_view MinistryCertificateUsageName(MinistryCertificateUsage usage) {
  for (const auto& [value, name] : kUsages) {
    if (value == usage) return name;
  }
  return "unknown";
}

std::optional<MinistryCertificateUsage> MinistryCertificateUsageFromName(
    absl::string_view name) {
  for (const auto& [value, text] : kUsages) {
    if (text == name) return value;
  }
  return std::nullopt;
}

absl::string_view MinistryCertificateSourceName(
    MinistryCertificateSource source) {
  switch (source) {
    case MinistryCertificateSource::kJson:
      return "json";
    case MinistryCertificateSource::kPem:
      return "pem";
    case MinistryCertificateSource::kDer:
      return "der";
  }
  return "unknown";
}

bool MinistryCertificate::HasUsage(MinistryCertificateUsage usage) const {
  return std::find(usages.begin(), usages.end(), usage) != usages.end();
}

bool MinistryCertificate::ValidAt(absl::Time t) const {
  return valid_from <= t && t <= valid_to;
}

std::string MinistryCertificate::Fingerprint() const {
  return absl::BytesToHexString(Sha256(der));
}

std::string Sha256Base64(absl::string_view data) {
  return absl::Base64Escape(Sha256(data));
}

absl::StatusOr<std::vector<MinistryCertificate>> ParseMinistryCertificates(
    absl::string_view content, MinistryCertificateUsage usage, absl::Time now) {
  absl::string_view text = absl::StripLeadingAsciiWhitespace(content);
  std::vector<MinistryCertificate> out;
  if (text.empty()) {
    return Refuse("Ministry certificate input", "it is empty");
  } else if (text.front() == '[' || text.front() == '{') {
    ASSIGN_OR_RETURN(out, ParseJson(text, now));
  } else if (absl::StrContains(content, "-----BEGIN")) {
    ASSIGN_OR_RETURN(out, ParsePem(content, usage, now));
  } else {
    ASSIGN_OR_RETURN(MinistryCertificate c,
                     FromDer("DER certificate", content, now));
    c.usages = {usage};
    c.source = MinistryCertificateSource::kDer;
    out.push_back(std::move(c));
  }
  if (out.empty()) {
    return Refuse("Ministry certificate input", "it holds no certificates");
  }
  if (out.size() > kMaxMinistryCertificatesPerImport) {
    return Refuse(
        "Ministry certificate input",
        absl::StrCat("it holds ", out.size(), " certificates; at most ",
                     kMaxMinistryCertificatesPerImport, " per import"));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (out[i].der == out[j].der) {
        bool json = out[i].source == MinistryCertificateSource::kJson;
        auto name = [json](std::size_t k) {
          return json ? absl::StrCat("certificate list item [", k, "]")
                      : absl::StrCat("certificate ", k + 1);
        };
        return Refuse(name(i), absl::StrCat("it repeats ", name(j)));
      }
    }
  }
  return out;
}

}  // namespace sejf::signer
