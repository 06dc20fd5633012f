#include "broker/ksef_api/ksef_wire_tokens.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"

namespace sejf::broker::wire {
namespace {

using SecretString =
    std::basic_string<char, std::char_traits<char>, ZeroingAllocator<char>>;
// nlohmann::json in zeroing memory (the 202 of POST /tokens holds a token).
using SecretJson =
    nlohmann::basic_json<std::map, std::vector, SecretString, bool,
                         std::int64_t, std::uint64_t, double, ZeroingAllocator>;

absl::Status Missing(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", field, "\" is missing or not ", what));
}

absl::StatusOr<SecretJson> Parse(const SecretBytes& body) {
  absl::string_view text = SecretView(body);
  SecretJson json = SecretJson::parse(text.begin(), text.end(), nullptr,
                                      /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the body (", body.size(), " bytes) is not a JSON object"));
  }
  return json;
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

absl::StatusOr<std::vector<std::string>> Strings(const SecretJson& object,
                                                 const char* name,
                                                 bool required) {
  std::vector<std::string> out;
  const SecretJson* value = Member(object, name);
  if (value == nullptr || value->is_null()) {
    if (required) return Missing(name, "an array of strings");
    return out;
  }
  if (!value->is_array()) return Missing(name, "an array of strings");
  for (const SecretJson& item : *value) {
    if (!item.is_string()) return Missing(name, "an array of strings");
    const SecretString& s = item.get_ref<const SecretString&>();
    out.emplace_back(s.data(), s.size());
  }
  return out;
}

}  // namespace

std::string GenerateTokenBody(const KsefTokenRequest& request) {
  nlohmann::json body = {{"permissions", request.permissions},
                         {"description", request.description}};
  return body.dump();
}

absl::Status CheckTokenReference(absl::string_view reference) {
  bool ok = reference.size() == 36;
  for (char c : reference) ok = ok && (absl::ascii_isalnum(c) || c == '-');
  if (!ok) {
    return absl::InvalidArgumentError(
        "a KSeF token reference number is 36 letters, digits and '-' (e.g. "
        "20251010-EC-1DCE3E3000-12ECB5B36E-45)");
  }
  return absl::OkStatus();
}

absl::StatusOr<GeneratedKsefToken> ParseGeneratedToken(
    const SecretBytes& body) {
  ASSIGN_OR_RETURN(SecretJson json, Parse(body));
  GeneratedKsefToken out;
  ASSIGN_OR_RETURN(out.reference_number,
                   String(json, "referenceNumber", "referenceNumber"));
  if (!CheckTokenReference(out.reference_number).ok()) {
    return Missing("referenceNumber", "a reference number");
  }
  const SecretJson* token = Member(json, "token");
  if (token == nullptr || !token->is_string() ||
      token->get_ref<const SecretString&>().empty()) {
    return Missing("token", "a non-empty string");
  }
  const SecretString& s = token->get_ref<const SecretString&>();
  out.token = SecretBytes(s.begin(), s.end());
  return out;
}

absl::StatusOr<KsefTokenStatus> ParseTokenStatus(const SecretBytes& body) {
  ASSIGN_OR_RETURN(SecretJson json, Parse(body));
  KsefTokenStatus out;
  ASSIGN_OR_RETURN(out.reference_number,
                   String(json, "referenceNumber", "referenceNumber"));
  ASSIGN_OR_RETURN(out.status, String(json, "status", "status"));
  if (out.status != "Pending" && out.status != "Active" &&
      out.status != "Revoking" && out.status != "Revoked" &&
      out.status != "Failed") {
    return Missing("status",
                   "one of Pending, Active, Revoking, Revoked, Failed");
  }
  const SecretJson* context = Member(json, "contextIdentifier");
  if (context == nullptr || !context->is_object()) {
    return Missing("contextIdentifier", "an object");
  }
  ASSIGN_OR_RETURN(out.context_type,
                   String(*context, "type", "contextIdentifier.type"));
  ASSIGN_OR_RETURN(out.context_value,
                   String(*context, "value", "contextIdentifier.value"));
  ASSIGN_OR_RETURN(out.permissions,
                   Strings(json, "requestedPermissions", /*required=*/true));
  ASSIGN_OR_RETURN(out.description, String(json, "description", "description"));
  ASSIGN_OR_RETURN(std::string created,
                   String(json, "dateCreated", "dateCreated"));
  if (!absl::ParseTime(absl::RFC3339_full, created, &out.date_created,
                       nullptr)) {
    return Missing("dateCreated", "a date-time");
  }
  ASSIGN_OR_RETURN(out.status_details,
                   Strings(json, "statusDetails", /*required=*/false));
  return out;
}

}  // namespace sejf::broker::wire
