#include "broker/sessions/session_errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/ksef_api/ksef_error.h"

namespace sejf::broker {
namespace {

constexpr absl::string_view kAuthStatusPayloadUrl =
    "type.sejf.dev/ksef-auth-status";

absl::StatusCode CodeForAuthStatus(int code) {
  switch (code) {
    case 500:
    case 550:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kFailedPrecondition;
  }
}

}  // namespace

absl::Status AuthStatusError(int code, absl::string_view description,
                             const std::vector<std::string>& details,
                             absl::string_view reference_number) {
  std::string message = absl::StrCat("KSeF authentication ", reference_number,
                                     " ended with ", "status ", code);
  if (!description.empty()) absl::StrAppend(&message, " \"", description, "\"");
  if (!details.empty()) {
    absl::StrAppend(&message, " (", absl::StrJoin(details, "; "), ")");
  }
  absl::Status status(CodeForAuthStatus(code), message);
  status.SetPayload(kAuthStatusPayloadUrl, absl::Cord(absl::StrCat(code)));
  return status;
}

std::optional<int> KsefAuthStatusOf(const absl::Status& status) {
  auto payload = status.GetPayload(kAuthStatusPayloadUrl);
  int code = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &code)) {
    return std::nullopt;
  }
  return code;
}

absl::Status SessionStatus(const absl::Status& status,
                           absl::string_view context) {
  if (status.ok()) return status;
  std::string message = absl::StrCat(context, ": ", status.message());
  if (status.code() == absl::StatusCode::kResourceExhausted) {
    std::optional<KsefError> error = KsefErrorOf(status);
    if (error && error->retry_after &&
        !absl::StrContains(status.message(), "retry")) {
      absl::StrAppend(&message, "; KSeF asks to retry after ",
                      absl::FormatDuration(*error->retry_after));
    }
  }
  absl::Status out(status.code(), message);
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) {
        out.SetPayload(url, payload);
      });
  return out;
}

bool IsRefusedRefresh(const absl::Status& status) {
  if (status.ok()) return false;
  if (HasKsefCode(status, 21301)) return true;
  if (KsefAuthStatusOf(status) == 425) return true;
  std::optional<KsefError> error = KsefErrorOf(status);
  return error && error->http_status == 401;
}

}  // namespace sejf::broker
