#include "signer/ksef/challenge.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sejf::signer {
namespace {

bool IsUpperHex(char c) {
  return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
         (c >= 'A' && c <= 'F');
}

bool Matches(absl::string_view c) {
  if (c.size() != kChallengeSize) return false;
  for (std::size_t i = 0; i < kChallengeSize; ++i) {
    const char ch = c[i];
    switch (i) {
      case 8:
      case 11:
      case 22:
      case 33:
        if (ch != '-') return false;
        break;
      case 9:
        if (ch != 'C') return false;
        break;
      case 10:
        if (ch != 'R') return false;
        break;
      default:
        if (i < 8) {
          if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) {
            return false;
          }
        } else if (!IsUpperHex(ch)) {
          return false;
        }
    }
  }
  return true;
}

int Digits(absl::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

absl::Status Malformed(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      field,
      " must match YYYYMMDD-CR-XXXXXXXXXX-XXXXXXXXXX-XX (36 characters, "
      "X an upper-case hex digit), as POST /auth/challenge returns it; ",
      why));
}

}  // namespace

absl::Status ValidateChallenge(absl::string_view challenge, absl::Time now,
                               absl::string_view field) {
  if (challenge.size() != kChallengeSize) {
    return Malformed(field,
                     absl::StrCat("got ", challenge.size(), " characters"));
  }
  if (!Matches(challenge)) return Malformed(field, "got something else");
  const int year = Digits(challenge.substr(0, 4));
  const int month = Digits(challenge.substr(4, 2));
  const int day = Digits(challenge.substr(6, 2));
  const absl::CivilDay date(year, month, day);
  if (date.year() != year || date.month() != month || date.day() != day) {
    return Malformed(field, absl::StrFormat("%04d-%02d-%02d is not a date",
                                            year, month, day));
  }
  const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  if (std::abs(date - today) > 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is stale: it is dated %04d-%02d-%02d and today is "
        "%04d-%02d-%02d (UTC); a challenge lives 10 minutes, ask KSeF for a "
        "fresh one (POST /auth/challenge)",
        field, year, month, day, today.year(), today.month(), today.day()));
  }
  return absl::OkStatus();
}

}  // namespace sejf::signer
