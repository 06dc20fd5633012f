// For tests only: checks a JSON value against an OpenAPI 3.0 schema object,
// independently of the code that wrote the value.
//
// Understood: `$ref` to "#/components/schemas/NAME" in `document`, `allOf`,
// `type` (object, array, string, integer, boolean), `required`,
// `properties` (a member the schema does not declare is an error: stricter
// than OpenAPI's default, so a misspelt member is caught), `items`,
// `pattern` (ECMAScript, as OpenAPI says), `minLength`, `maxLength`, `enum`,
// `format: byte` (standard Base64), and `maximum` on an array as the item
// limit (how the KSeF specification writes it). `nullable` values are never
// null in what sejf writes, so null is always an error.
//
// Thread-safety: a pure function.
#ifndef SEJF_SIGNER_MINISTRY_TESTING_OPENAPI_SCHEMA_H_
#define SEJF_SIGNER_MINISTRY_TESTING_OPENAPI_SCHEMA_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace sejf::signer::testing {

// OK when `value` satisfies the schema `document`.components.schemas[name];
// INVALID_ARGUMENT naming the JSON path and the rule broken otherwise.
absl::Status ValidateAgainstOpenApiSchema(const nlohmann::json& value,
                                          const nlohmann::json& document,
                                          absl::string_view name);

}  // namespace sejf::signer::testing

#endif  // SEJF_SIGNER_MINISTRY_TESTING_OPENAPI_SCHEMA_H_
