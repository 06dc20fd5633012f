#include "server/config/host_port.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sejf::server {

absl::StatusOr<HostPort> ParseHostPort(absl::string_view address) {
  constexpr absl::string_view kExpected =
      "is not HOST:PORT (e.g. 127.0.0.1:7443 or [::1]:7443)";
  std::size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(kExpected);
  }
  absl::string_view host = address.substr(0, colon);
  absl::string_view port_text = address.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return absl::InvalidArgumentError(kExpected);
    }
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "has an IPv6 host without brackets; write [HOST]:PORT");
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kExpected, ": the host is empty"));
  }
  for (char c : host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '/' ||
        c == '[' || c == ']') {
      return absl::InvalidArgumentError(absl::StrCat(
          kExpected, ": the host contains '", std::string(1, c), "'"));
    }
  }
  if (port_text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kExpected, ": the port is missing"));
  }
  int port = 0;
  bool digits = true;
  for (char c : port_text) digits = digits && absl::ascii_isdigit(c);
  if (!digits || !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("port ", port_text, " is not a number in 0-65535"));
  }
  return HostPort{std::string(host), port};
}

}  // namespace sejf::server
