#include "client/cli/expiry_window.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sejf::client::cli {

absl::StatusOr<absl::Duration> ParseExpiryWindow(absl::string_view flag,
                                                 absl::string_view text) {
  const absl::Duration max = absl::Hours(24 * 3650);
  const auto refuse = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": \"", text,
        "\" is not a window; write a whole number of days or hours, e.g. "
        "30d or 12h (at most 3650d)"));
  };
  if (text.size() < 2) return refuse();
  const char unit = text.back();
  std::int64_t n = 0;
  if ((unit != 'd' && unit != 'h') ||
      !absl::SimpleAtoi(text.substr(0, text.size() - 1), &n) || n <= 0 ||
      n > 24 * 3650) {
    return refuse();
  }
  const absl::Duration window =
      unit == 'd' ? absl::Hours(24) * n : absl::Hours(n);
  if (window > max) return refuse();
  return window;
}

namespace {

// The certificate that signs for `key`: a renewed key's current version's.
const std::optional<Certificate>& SigningCertificate(const Key& key) {
  return key.current_certificate.has_value() ? key.current_certificate
                                             : key.certificate;
}

}  // namespace

bool ExpiresWithin(const Key& key, absl::Duration window, absl::Time now) {
  const std::optional<Certificate>& cert = SigningCertificate(key);
  return cert.has_value() && cert->not_after < now + window;
}

ExpirySummary SummarizeExpiring(const std::vector<Key>& keys,
                                absl::Duration window, absl::Time now) {
  ExpirySummary summary;
  for (const Key& key : keys) {
    if (!ExpiresWithin(key, window, now)) continue;
    ++summary.count;
    if (!summary.soonest.has_value() ||
        SigningCertificate(key)->not_after <
            SigningCertificate(*summary.soonest)->not_after) {
      summary.soonest = key;
    }
  }
  return summary;
}

}  // namespace sejf::client::cli
