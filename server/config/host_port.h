// HOST:PORT listen addresses.
//
// Thread-safety: pure functions.
#ifndef SEJF_SERVER_CONFIG_HOST_PORT_H_
#define SEJF_SERVER_CONFIG_HOST_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::server {

struct HostPort {
  std::string host;  // without brackets: "127.0.0.1", "::1", "localhost"
  int port = 0;      // 0..65535; 0 means "any free port"
};

// Parses "HOST:PORT" or "[IPV6]:PORT". INVALID_ARGUMENT saying what is wrong
// (no port, port not a number or out of 0..65535, empty host, an IPv6
// address without brackets) in words that fit after the value.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view address);

}  // namespace sejf::server

#endif  // SEJF_SERVER_CONFIG_HOST_PORT_H_
