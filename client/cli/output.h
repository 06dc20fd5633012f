// Output helpers shared by the `sejf` subcommands: names of API enums as
// the CLI spells them, times, PEM, and protobuf messages as JSON.
#ifndef SEJF_CLIENT_CLI_OUTPUT_H_
#define SEJF_CLIENT_CLI_OUTPUT_H_

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sejf/v1/common.pb.h"

namespace sejf::client::cli {

// "active", "disabled", "destroyed" (and back; nullopt for other words).
std::string StateName(v1::CredentialState state);
std::optional<v1::CredentialState> ParseState(absl::string_view name);

absl::Time FromProto(const google::protobuf::Timestamp& t);
// RFC 3339 UTC, seconds precision, e.g. "2026-11-24T10:00:00Z".
std::string FormatTime(const google::protobuf::Timestamp& t);

// Days from `now` until `t`: rounded up while `t` is ahead (a certificate
// ending in two hours has 1 day left), rounded down (≤ 0) once past.
int DaysUntil(const google::protobuf::Timestamp& t, absl::Time now);

// "in 30 days", "in 1 day", "EXPIRED 3 days ago".
std::string DescribeExpiry(const google::protobuf::Timestamp& not_after,
                           absl::Time now);

// PEM with the given label ("PUBLIC KEY", "CERTIFICATE") around `der`.
std::string DerToPem(absl::string_view der, absl::string_view label);

// The message as the API's JSON (lowerCamelCase fields), indented.
std::string ToJson(const google::protobuf::Message& message);

// "keys/NAME" for "NAME"; a name already starting with "keys/" is kept.
std::string ResourceName(absl::string_view collection, absl::string_view name);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_OUTPUT_H_
