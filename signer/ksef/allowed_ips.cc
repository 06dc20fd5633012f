#include "signer/ksef/allowed_ips.h"

#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sejf::signer {
namespace {

// A decimal number without leading zeros (a lone "0" is fine), at most
// `max`; nullopt otherwise.
std::optional<std::uint32_t> ParseDecimal(absl::string_view s,
                                          std::uint32_t max) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

std::optional<std::uint32_t> ParseAddress(absl::string_view s) {
  std::uint32_t address = 0;
  for (int part = 0; part < 4; ++part) {
    std::size_t dot = part < 3 ? s.find('.') : s.size();
    if (dot == absl::string_view::npos) return std::nullopt;
    std::optional<std::uint32_t> octet = ParseDecimal(s.substr(0, dot), 255);
    if (!octet) return std::nullopt;
    address = (address << 8) | *octet;
    s.remove_prefix(part < 3 ? dot + 1 : dot);
  }
  return address;
}

bool IsRange(absl::string_view s) {
  const std::size_t dash = s.find('-');
  if (dash == absl::string_view::npos) return false;
  std::optional<std::uint32_t> first = ParseAddress(s.substr(0, dash));
  std::optional<std::uint32_t> last = ParseAddress(s.substr(dash + 1));
  return first && last && *first <= *last;
}

bool IsMask(absl::string_view s) {
  const std::size_t slash = s.find('/');
  if (slash == absl::string_view::npos) return false;
  return ParseAddress(s.substr(0, slash)).has_value() &&
         ParseDecimal(s.substr(slash + 1), 32).has_value();
}

bool IsAddress(absl::string_view s) { return ParseAddress(s).has_value(); }

absl::Status CheckKind(const std::vector<std::string>& entries,
                       absl::string_view field,
                       bool (*valid)(absl::string_view),
                       absl::string_view expected) {
  if (entries.size() > kMaxAllowedIpsPerKind) {
    return absl::InvalidArgumentError(
        absl::StrCat("allowed_ips.", field, " has ", entries.size(),
                     " entries; KSeF accepts at most ", kMaxAllowedIpsPerKind));
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!valid(entries[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("allowed_ips.", field, "[", i, "] must be ", expected));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAllowedIps(const AllowedIps& ips) {
  if (absl::Status s = CheckKind(
          ips.ip4_addresses, "ip4_addresses", IsAddress,
          "an IPv4 address a.b.c.d (each part 0-255, no leading zeros)");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckKind(
          ips.ip4_ranges, "ip4_ranges", IsRange,
          "two IPv4 addresses a.b.c.d-e.f.g.h (each part 0-255, no leading "
          "zeros), the first not after the second");
      !s.ok()) {
    return s;
  }
  return CheckKind(ips.ip4_masks, "ip4_masks", IsMask,
                   "an IPv4 network a.b.c.d/n (each part 0-255, n 0-32, no "
                   "leading zeros)");
}

}  // namespace sejf::signer
