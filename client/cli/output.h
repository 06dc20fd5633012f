// Output helpers shared by the `sejf` subcommands: names of the client's
// enums as the CLI spells them, times and PEM. JSON output is the client
// library's (client/api_json.h).
#ifndef SEJF_CLIENT_CLI_OUTPUT_H_
#define SEJF_CLIENT_CLI_OUTPUT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/common_types.h"

namespace sejf::client::cli {

// "active", "disabled", "destroyed" (and back; nullopt for other words).
std::string StateName(CredentialState state);
std::optional<CredentialState> ParseState(absl::string_view name);

// RFC 3339 UTC, seconds precision, e.g. "2026-11-24T10:00:00Z".
std::string FormatSeconds(absl::Time t);

// Days from `now` until `t`: rounded up while `t` is ahead (a certificate
// ending in two hours has 1 day left), rounded down (≤ 0) once past.
int DaysUntil(absl::Time t, absl::Time now);

// "in 30 days", "in 1 day", "EXPIRED 3 days ago".
std::string DescribeExpiry(absl::Time not_after, absl::Time now);

// PEM with the given label ("PUBLIC KEY", "CERTIFICATE") around `der`.
std::string DerToPem(absl::string_view der, absl::string_view label);

// "keys/NAME" for "NAME"; a name already starting with "keys/" is kept.
std::string ResourceName(absl::string_view collection, absl::string_view name);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_OUTPUT_H_
