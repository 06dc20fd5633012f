#include "broker/ksef_api/ksef_wire.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace sejf::broker::wire {
namespace {

using SecretString =
    std::basic_string<char, std::char_traits<char>, ZeroingAllocator<char>>;
// nlohmann::json whose strings, arrays and objects live in zeroing memory.
using SecretJson =
    nlohmann::basic_json<std::map, std::vector, SecretString, bool,
                         std::int64_t, std::uint64_t, double, ZeroingAllocator>;

// Longest piece of KSeF's text kept in a message, and of all of it.
constexpr std::size_t kMaxPiece = 240;
constexpr std::size_t kMaxText = 800;

// Cuts `text` to at most `max` bytes on a UTF-8 character boundary, marking
// the cut with "…".
void Bound(std::string& text, std::size_t max) {
  if (text.size() <= max) return;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  text.resize(end);
  text += "…";
}

absl::StatusOr<SecretJson> Parse(const SecretBytes& body) {
  absl::string_view text = SecretView(body);
  // No exceptions: a discarded value on error. The lexer's message (which
  // quotes the input) is never read.
  SecretJson json = SecretJson::parse(text.begin(), text.end(), nullptr,
                                      /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body (", body.size(), " bytes) is not JSON"));
  }
  return json;
}

absl::Status Missing(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", field, "\" is missing or not ", what));
}

const SecretJson* Member(const SecretJson& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

absl::StatusOr<std::string> String(const SecretJson& object, const char* name,
                                   absl::string_view path) {
  const SecretJson* value = Member(object, name);
  if (value == nullptr || !value->is_string() ||
      value->get_ref<const SecretString&>().empty()) {
    return Missing(path, "a non-empty string");
  }
  const SecretString& s = value->get_ref<const SecretString&>();
  return std::string(s.data(), s.size());
}

absl::StatusOr<SecretBytes> Secret(const SecretJson& object, const char* name,
                                   absl::string_view path) {
  const SecretJson* value = Member(object, name);
  if (value == nullptr || !value->is_string() ||
      value->get_ref<const SecretString&>().empty()) {
    return Missing(path, "a non-empty string");
  }
  const SecretString& s = value->get_ref<const SecretString&>();
  return SecretBytes(s.begin(), s.end());
}

absl::StatusOr<absl::Time> Time(const SecretJson& object, const char* name,
                                absl::string_view path) {
  const SecretJson* value = Member(object, name);
  absl::Time time;
  if (value == nullptr || !value->is_string()) {
    return Missing(path, "a date-time");
  }
  const SecretString& s = value->get_ref<const SecretString&>();
  // RFC 3339 with any number of fractional digits ("…56.0154302+00:00").
  if (!absl::ParseTime(absl::RFC3339_full, std::string(s.data(), s.size()),
                       &time, nullptr)) {
    return Missing(path, "a date-time");
  }
  return time;
}

absl::StatusOr<std::int64_t> Integer(const SecretJson& object, const char* name,
                                     absl::string_view path) {
  const SecretJson* value = Member(object, name);
  if (value == nullptr || !value->is_number_integer()) {
    return Missing(path, "an integer");
  }
  return value->get<std::int64_t>();
}

// TokenInfo {token, validUntil} at object[name].
absl::StatusOr<KsefBearer> Bearer(const SecretJson& object, const char* name) {
  const SecretJson* info = Member(object, name);
  if (info == nullptr || !info->is_object()) return Missing(name, "an object");
  KsefBearer bearer;
  ASSIGN_OR_RETURN(bearer.token,
                   Secret(*info, "token", absl::StrCat(name, ".token")));
  ASSIGN_OR_RETURN(bearer.valid_until, Time(*info, "validUntil",
                                            absl::StrCat(name, ".validUntil")));
  return bearer;
}

// KSeF's text made safe for a message: control characters as ' ', bounded.
std::string Piece(const SecretJson* value) {
  if (value == nullptr || !value->is_string()) return "";
  const SecretString& s = value->get_ref<const SecretString&>();
  std::string out;
  for (char c : s) {
    if (out.size() > kMaxPiece) break;
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  Bound(out, kMaxPiece);
  return out;
}

std::string Details(const SecretJson* details) {
  if (details == nullptr || !details->is_array() || details->empty()) {
    return "";
  }
  std::vector<std::string> parts;
  for (const SecretJson& d : *details) {
    std::string piece = Piece(&d);
    if (!piece.empty()) parts.push_back(std::move(piece));
  }
  if (parts.empty()) return "";
  return absl::StrCat(" (", absl::StrJoin(parts, "; "), ")");
}

// One [{code, description, details}] list (either naming).
void AppendErrors(const SecretJson* list, const char* code_name,
                  const char* description_name, ErrorBody& out,
                  std::vector<std::string>& texts) {
  if (list == nullptr || !list->is_array()) return;
  for (const SecretJson& item : *list) {
    const SecretJson* code = Member(item, code_name);
    std::string text;
    if (code != nullptr && code->is_number_integer()) {
      int value = static_cast<int>(code->get<std::int64_t>());
      out.codes.push_back(value);
      text = absl::StrCat(value);
    }
    std::string description = Piece(Member(item, description_name));
    if (!description.empty()) {
      absl::StrAppend(&text, text.empty() ? "" : " ", description);
    }
    absl::StrAppend(&text, Details(Member(item, "details")));
    if (!text.empty()) texts.push_back(std::move(text));
  }
}

}  // namespace

absl::StatusOr<AuthChallenge> ParseChallenge(const SecretBytes& body) {
  ASSIGN_OR_RETURN(SecretJson json, Parse(body));
  AuthChallenge challenge;
  ASSIGN_OR_RETURN(challenge.challenge, String(json, "challenge", "challenge"));
  ASSIGN_OR_RETURN(challenge.timestamp, Time(json, "timestamp", "timestamp"));
  ASSIGN_OR_RETURN(challenge.timestamp_ms,
                   Integer(json, "timestampMs", "timestampMs"));
  ASSIGN_OR_RETURN(challenge.client_ip, String(json, "clientIp", "clientIp"));
  return challenge;
}

absl::StatusOr<AuthInit> ParseAuthInit(const SecretBytes& body) {
  ASSIGN_OR_RETURN(SecretJson json, Parse(body));
  AuthInit init;
  ASSIGN_OR_RETURN(init.reference_number,
                   String(json, "referenceNumber", "referenceNumber"));
  ASSIGN_OR_RETURN(init.authentication_token,
                   Bearer(json, "authenticationToken"));
  return init;
}

absl::StatusOr<AuthOperationStatus> ParseAuthStatus(const SecretBytes& body) {
  ASSIGN_OR_RETURN(SecretJson json, Parse(body));
  const SecretJson* status = Member(json, "status");
  if (status == nullptr || !status->is_object()) {
    return Missing("status", "an object");
  }
  AuthOperationStatus result;
  ASSIGN_OR_RETURN(std::int64_t code, Integer(*status, "code", "status.code"));
  result.code = static_cast<int>(code);
  ASSIGN_OR_RETURN(result.description,
                   String(*status, "description", "status.description"));
  const SecretJson* details = Member(*status, "details");
  if (details != nullptr && !details->is_null()) {
    if (!details->is_array()) {
      return Missing("status.details", "an array of strings");
    }
    for (const SecretJson& d : *details) {
      if (!d.is_string()) {
        return Missing("status.details", "an array of strings");
      }
      const SecretString& s = d.get_ref<const SecretString&>();
      result.details.emplace_back(s.data(), s.size());
    }
  }
  return result;
}

absl::StatusOr<AuthTokens> ParseAuthTokens(const SecretBytes& body) {
  ASSIGN_OR_RETURN(SecretJson json, Parse(body));
  AuthTokens tokens;
  ASSIGN_OR_RETURN(tokens.access_token, Bearer(json, "accessToken"));
  ASSIGN_OR_RETURN(tokens.refresh_token, Bearer(json, "refreshToken"));
  return tokens;
}

absl::StatusOr<KsefBearer> ParseRefresh(const SecretBytes& body) {
  ASSIGN_OR_RETURN(SecretJson json, Parse(body));
  return Bearer(json, "accessToken");
}

absl::StatusOr<std::string> ParsePublicKeyCertificates(
    const SecretBytes& body) {
  ASSIGN_OR_RETURN(SecretJson json, Parse(body));
  if (!json.is_array()) {
    return absl::InvalidArgumentError(
        "the body is not a JSON array of certificates");
  }
  return std::string(SecretView(body));
}

ErrorBody ParseErrorBody(const SecretBytes& body) {
  ErrorBody out;
  absl::StatusOr<SecretJson> json = Parse(body);
  if (!json.ok() || !json->is_object()) return out;
  std::vector<std::string> texts;
  // Legacy 400: {"exception": {"exceptionDetailList": [...]}}.
  if (const SecretJson* exception = Member(*json, "exception")) {
    AppendErrors(Member(*exception, "exceptionDetailList"), "exceptionCode",
                 "exceptionDescription", out, texts);
  }
  // Legacy 429: {"status": {"code", "description", "details"}}.
  if (const SecretJson* status = Member(*json, "status");
      status != nullptr && status->is_object()) {
    std::string text = Piece(Member(*status, "description"));
    absl::StrAppend(&text, Details(Member(*status, "details")));
    if (!text.empty()) texts.push_back(std::move(text));
  }
  // problem+json: {title, detail, errors?, reasonCode?}.
  std::string title = Piece(Member(*json, "title"));
  std::string detail = Piece(Member(*json, "detail"));
  std::string reason = Piece(Member(*json, "reasonCode"));
  if (!title.empty() || !detail.empty()) {
    std::string text = title;
    if (!detail.empty()) {
      absl::StrAppend(&text, text.empty() ? "" : ": ", detail);
    }
    if (!reason.empty()) absl::StrAppend(&text, " [", reason, "]");
    texts.push_back(std::move(text));
  }
  AppendErrors(Member(*json, "errors"), "code", "description", out, texts);
  out.text = absl::StrJoin(texts, "; ");
  Bound(out.text, kMaxText);
  return out;
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  int seconds = 0;
  if (value.empty() || value.size() > 6 || !absl::SimpleAtoi(value, &seconds) ||
      seconds < 0 || seconds > 86400 || !absl::ascii_isdigit(value.front())) {
    return std::nullopt;
  }
  return absl::Seconds(seconds);
}

}  // namespace sejf::broker::wire
