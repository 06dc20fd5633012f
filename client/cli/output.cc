#include "client/cli/output.h"

#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sejf::client::cli {

std::string StateName(CredentialState state) {
  switch (state) {
    case CredentialState::kActive:
      return "active";
    case CredentialState::kDisabled:
      return "disabled";
    case CredentialState::kDestroyed:
      return "destroyed";
    case CredentialState::kUnspecified:
      break;
  }
  return "unspecified";
}

std::optional<CredentialState> ParseState(absl::string_view name) {
  if (name == "active") return CredentialState::kActive;
  if (name == "disabled") return CredentialState::kDisabled;
  if (name == "destroyed") return CredentialState::kDestroyed;
  return std::nullopt;
}

std::string FormatSeconds(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

int DaysUntil(absl::Time t, absl::Time now) {
  const double days = absl::FDivDuration(t - now, absl::Hours(24));
  return static_cast<int>(days > 0 ? std::ceil(days) : std::floor(days));
}

std::string DescribeExpiry(absl::Time not_after, absl::Time now) {
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

std::string ResourceName(absl::string_view collection, absl::string_view name) {
  const std::string prefix = absl::StrCat(collection, "/");
  if (absl::StartsWith(name, prefix)) return std::string(name);
  return absl::StrCat(prefix, name);
}

}  // namespace sejf::client::cli
