#include "client/cli/output.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sejf::client::cli {

std::string StateName(v1::CredentialState state) {
  switch (state) {
    case v1::CREDENTIAL_STATE_ACTIVE:
      return "active";
    case v1::CREDENTIAL_STATE_DISABLED:
      return "disabled";
    case v1::CREDENTIAL_STATE_DESTROYED:
      return "destroyed";
    default:
      return "unspecified";
  }
}

std::optional<v1::CredentialState> ParseState(absl::string_view name) {
  if (name == "active") return v1::CREDENTIAL_STATE_ACTIVE;
  if (name == "disabled") return v1::CREDENTIAL_STATE_DISABLED;
  if (name == "destroyed") return v1::CREDENTIAL_STATE_DESTROYED;
  return std::nullopt;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProto(t),
                          absl::UTCTimeZone());
}

int DaysUntil(const google::protobuf::Timestamp& t, absl::Time now) {
  const double days = absl::FDivDuration(FromProto(t) - now, absl::Hours(24));
  return static_cast<int>(days > 0 ? std::ceil(days) : std::floor(days));
}

std::string DescribeExpiry(const google::protobuf::Timestamp& not_after,
                           absl::Time now) {
  const int days = DaysUntil(not_after, now);
  if (days > 0) return absl::StrCat("in ", days, days == 1 ? " day" : " days");
  return absl::StrCat("EXPIRED ", -days, -days == 1 ? " day" : " days", " ago");
}

std::string DerToPem(absl::string_view der, absl::string_view label) {
  const std::string base64 = absl::Base64Escape(der);
  std::string pem = absl::StrCat("-----BEGIN ", label, "-----\n");
  for (size_t i = 0; i < base64.size(); i += 64) {
    absl::StrAppend(&pem, absl::string_view(base64).substr(i, 64), "\n");
  }
  absl::StrAppend(&pem, "-----END ", label, "-----\n");
  return pem;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "{}\n";
  }
  return json;
}

std::string ResourceName(absl::string_view collection, absl::string_view name) {
  const std::string prefix = absl::StrCat(collection, "/");
  if (absl::StartsWith(name, prefix)) return std::string(name);
  return absl::StrCat(prefix, name);
}

}  // namespace sejf::client::cli
