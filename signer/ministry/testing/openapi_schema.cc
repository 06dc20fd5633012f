#include "signer/ministry/testing/openapi_schema.h"

#include <regex>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace sejf::signer::testing {
namespace {

using nlohmann::json;

absl::Status Fail(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

bool HasType(const json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "boolean") return value.is_boolean();
  return false;
}

absl::Status Check(const json& value, const json& schema, const json& document,
                   const std::string& path) {
  if (schema.contains("$ref")) {
    std::string ref = schema["$ref"].get<std::string>();
    absl::string_view name = ref;
    if (!absl::ConsumePrefix(&name, "#/components/schemas/") ||
        !document["components"]["schemas"].contains(std::string(name))) {
      return Fail(path, absl::StrCat("unresolvable $ref ", ref));
    }
    return Check(value, document["components"]["schemas"][std::string(name)],
                 document, path);
  }
  if (value.is_null()) return Fail(path, "is null");
  if (schema.contains("allOf")) {
    for (const json& part : schema["allOf"]) {
      if (absl::Status s = Check(value, part, document, path); !s.ok()) {
        return s;
      }
    }
  }
  if (schema.contains("type") &&
      !HasType(value, schema["type"].get<std::string>())) {
    return Fail(path, absl::StrCat("is not of type ",
                                   schema["type"].get<std::string>()));
  }
  if (schema.contains("enum")) {
    bool listed = false;
    for (const json& allowed : schema["enum"]) listed |= allowed == value;
    if (!listed) return Fail(path, "is not one of the enum values");
  }
  if (schema.contains("required")) {
    for (const json& member : schema["required"]) {
      if (!value.contains(member.get<std::string>())) {
        return Fail(path, absl::StrCat("lacks the required member ",
                                       member.get<std::string>()));
      }
    }
  }
  if (value.is_object() && schema.contains("properties")) {
    for (const auto& [member, member_value] : value.items()) {
      if (!schema["properties"].contains(member)) {
        return Fail(path, absl::StrCat("has the undeclared member ", member));
      }
      if (absl::Status s = Check(member_value, schema["properties"][member],
                                 document, absl::StrCat(path, ".", member));
          !s.ok()) {
        return s;
      }
    }
  }
  if (value.is_array()) {
    if (schema.contains("maximum") &&
        value.size() > schema["maximum"].get<std::size_t>()) {
      return Fail(path, "has too many items");
    }
    if (schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (absl::Status s = Check(value[i], schema["items"], document,
                                   absl::StrCat(path, "[", i, "]"));
            !s.ok()) {
          return s;
        }
      }
    }
  }
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    if (schema.contains("minLength") &&
        text.size() < schema["minLength"].get<std::size_t>()) {
      return Fail(path, "is shorter than minLength");
    }
    if (schema.contains("maxLength") &&
        text.size() > schema["maxLength"].get<std::size_t>()) {
      return Fail(path, "is longer than maxLength");
    }
    if (schema.contains("pattern") &&
        !std::regex_search(text,
                           std::regex(schema["pattern"].get<std::string>(),
                                      std::regex::ECMAScript))) {
      return Fail(path, absl::StrCat("\"", text, "\" does not match ",
                                     schema["pattern"].get<std::string>()));
    }
    std::string decoded;
    if (schema.value("format", "") == "byte" &&
        (text.size() % 4 != 0 || !absl::Base64Unescape(text, &decoded))) {
      return Fail(path, "is not standard padded Base64");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAgainstOpenApiSchema(const nlohmann::json& value,
                                          const nlohmann::json& document,
                                          absl::string_view name) {
  return Check(value,
               json{{"$ref", absl::StrCat("#/components/schemas/", name)}},
               document, "$");
}

}  // namespace sejf::signer::testing
