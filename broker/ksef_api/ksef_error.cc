#include "broker/ksef_api/ksef_error.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace sejf::broker {
namespace {

// The payload: "http=400 codes=21301,21470 retry_ms=5000 unknown=1"
// (retry_ms only when known, unknown only when set). Written and read only
// here.
constexpr absl::string_view kKsefErrorPayloadUrl = "type.sejf.dev/ksef-error";

std::string Encode(const KsefError& error) {
  std::string text =
      absl::StrCat("http=", error.http_status,
                   " codes=", absl::StrJoin(error.exception_codes, ","));
  if (error.retry_after) {
    absl::StrAppend(
        &text, " retry_ms=", absl::ToInt64Milliseconds(*error.retry_after));
  }
  if (error.outcome_unknown) absl::StrAppend(&text, " unknown=1");
  return text;
}

std::optional<KsefError> Decode(absl::string_view text) {
  KsefError error;
  for (absl::string_view part : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.first == "http") {
      if (!absl::SimpleAtoi(kv.second, &error.http_status)) return std::nullopt;
    } else if (kv.first == "codes") {
      for (absl::string_view c :
           absl::StrSplit(kv.second, ',', absl::SkipEmpty())) {
        int code = 0;
        if (!absl::SimpleAtoi(c, &code)) return std::nullopt;
        error.exception_codes.push_back(code);
      }
    } else if (kv.first == "retry_ms") {
      int64_t ms = 0;
      if (!absl::SimpleAtoi(kv.second, &ms)) return std::nullopt;
      error.retry_after = absl::Milliseconds(ms);
    } else if (kv.first == "unknown") {
      error.outcome_unknown = kv.second == "1";
    }
  }
  return error;
}

}  // namespace

absl::Status WithKsefError(absl::Status status, const KsefError& error) {
  if (!status.ok())
    status.SetPayload(kKsefErrorPayloadUrl, absl::Cord(Encode(error)));
  return status;
}

std::optional<KsefError> KsefErrorOf(const absl::Status& status) {
  auto payload = status.GetPayload(kKsefErrorPayloadUrl);
  if (!payload) return std::nullopt;
  return Decode(std::string(*payload));
}

bool HasKsefCode(const absl::Status& status, int code) {
  std::optional<KsefError> error = KsefErrorOf(status);
  if (!error) return false;
  for (int c : error->exception_codes) {
    if (c == code) return true;
  }
  return false;
}

}  // namespace sejf::broker
