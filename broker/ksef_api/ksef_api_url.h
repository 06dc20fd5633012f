// KSeF API base URLs: the official ones of the built-in environments
// (ksef-protocol.md §1) and the rule every configured one follows. No
// libcurl here: server/config checks `api_url` with it while reading the file.
//
// Thread-safety: pure functions.
#ifndef SEJF_BROKER_KSEF_API_KSEF_API_URL_H_
#define SEJF_BROKER_KSEF_API_KSEF_API_URL_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::broker {

// The official API base URL of a built-in environment: "test" →
// https://api-test.ksef.mf.gov.pl/v2, "demo" →
// https://api-demo.ksef.mf.gov.pl/v2, "prod" → https://api.ksef.mf.gov.pl/v2;
// nullopt for any other name.
std::optional<absl::string_view> BuiltInKsefApiUrl(
    absl::string_view environment);

// `url` as a KSeF API base URL: "https://" (lowercase), a host (a name, an
// IPv4 address or a [bracketed] IPv6 address) with an optional port, and an
// optional path; no user info, query, fragment, spaces or control
// characters. Returned without trailing '/' (endpoint paths are appended).
// INVALID_ARGUMENT saying what is wrong; plain http:// is refused: bearer
// tokens travel on every call, so TLS is never optional (a local emulator
// serves HTTPS with its own CA, given as the environment's ca_file).
absl::StatusOr<std::string> NormalizeKsefApiUrl(absl::string_view url);

}  // namespace sejf::broker

#endif  // SEJF_BROKER_KSEF_API_KSEF_API_URL_H_
