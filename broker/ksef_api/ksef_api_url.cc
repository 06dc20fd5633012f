#include "broker/ksef_api/ksef_api_url.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sejf::broker {
namespace {

constexpr absl::string_view kScheme = "https://";

bool IsHostChar(char c) {
  return absl::ascii_isalnum(c) || c == '.' || c == '-';
}

absl::Status CheckHostPort(absl::string_view authority) {
  if (authority.empty()) return absl::InvalidArgumentError("has no host");
  absl::string_view host = authority;
  absl::string_view port;
  if (host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == absl::string_view::npos || close == 1) {
      return absl::InvalidArgumentError("has an unterminated IPv6 address");
    }
    for (char c : host.substr(1, close - 1)) {
      if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') {
        return absl::InvalidArgumentError("has an invalid IPv6 address");
      }
    }
    absl::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError("has text after the IPv6 address");
      }
      port = rest.substr(1);
      if (port.empty()) return absl::InvalidArgumentError("has an empty port");
    }
  } else {
    std::size_t colon = host.find(':');
    if (colon != absl::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) return absl::InvalidArgumentError("has an empty port");
    }
    if (host.empty()) return absl::InvalidArgumentError("has no host");
    for (char c : host) {
      if (!IsHostChar(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat("has a host with '", absl::string_view(&c, 1),
                         "' (letters, digits, '.' and '-' only)"));
      }
    }
  }
  if (!port.empty()) {
    int value = 0;
    for (char c : port) {
      if (!absl::ascii_isdigit(c)) {
        return absl::InvalidArgumentError("has a port that is not a number");
      }
    }
    if (port.size() > 5 || !absl::SimpleAtoi(port, &value) || value < 1 ||
        value > 65535) {
      return absl::InvalidArgumentError("has a port outside 1..65535");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<absl::string_view> BuiltInKsefApiUrl(
    absl::string_view environment) {
  if (environment == "test") return "https://api-test.ksef.mf.gov.pl/v2";
  if (environment == "demo") return "https://api-demo.ksef.mf.gov.pl/v2";
  if (environment == "prod") return "https://api.ksef.mf.gov.pl/v2";
  return std::nullopt;
}

absl::StatusOr<std::string> NormalizeKsefApiUrl(absl::string_view url) {
  if (!absl::StartsWith(url, kScheme)) {
    if (absl::StartsWithIgnoreCase(url, "http://")) {
      return absl::InvalidArgumentError(
          "is plain http://; KSeF bearer tokens travel on every call, so the "
          "API is reached over https:// only (give a local emulator's CA as "
          "ca_file)");
    }
    return absl::InvalidArgumentError(
        "must start with https:// (e.g. https://api-test.ksef.mf.gov.pl/v2)");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "contains a space or a control character");
    }
    if (c == '?' || c == '#') {
      return absl::InvalidArgumentError(
          "has a query or fragment; give the base URL only");
    }
    if (c == '\\' || c == '"') {
      return absl::InvalidArgumentError("contains '\\' or '\"'");
    }
  }
  absl::string_view rest = url.substr(kScheme.size());
  std::size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "has user information ('@'); credentials never go in the URL");
  }
  absl::Status host = CheckHostPort(authority);
  if (!host.ok()) return host;
  std::string normalized(url);
  while (normalized.size() > kScheme.size() + authority.size() &&
         normalized.back() == '/') {
    normalized.pop_back();
  }
  return normalized;
}

}  // namespace sejf::broker
