// The one rule for the enum fields of requests, applied by every adapter
// (the *_conversions.h files map values; these functions judge them):
//
//   - a value this server knows maps to its domain value;
//   - UNSPECIFIED (0, which is also what an unset field reads as) means what
//     the field's comment in the .proto documents: a default value
//     (EnumOrDefault), or "any" for a filter of a listing (EnumFilter); a
//     field that documents neither is required (RequiredEnum), and
//     UNSPECIFIED is INVALID_ARGUMENT;
//   - any other number (a client built from a newer .proto) is
//     INVALID_ARGUMENT, whatever the field.
//
// Errors name the request field and list the values this server accepts,
// taken from the enum's descriptor: "usage is required: one of
// KEY_USAGE_AUTHENTICATION, KEY_USAGE_OFFLINE", "algorithm: 7 is not one of
// KEY_ALGORITHM_EC_P256, KEY_ALGORITHM_RSA_2048".
//
// A conversion `convert` maps a known value to its domain value and
// everything else (UNSPECIFIED included) to nullopt.
//
// Thread-safety: pure functions.
#ifndef SEJF_SERVER_ENUM_CONVERSIONS_H_
#define SEJF_SERVER_ENUM_CONVERSIONS_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/generated_enum_reflection.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace sejf::server {

namespace enum_conversions_internal {

// The names of the values of `Proto` that `convert` accepts, ", "-joined.
template <typename Proto, typename Domain>
std::string AcceptedNames(std::optional<Domain> (*convert)(Proto)) {
  const google::protobuf::EnumDescriptor* descriptor =
      google::protobuf::GetEnumDescriptor<Proto>();
  std::vector<std::string> names;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = descriptor->value(i);
    if (convert(static_cast<Proto>(value->number()))) {
      names.push_back(value->name());
    }
  }
  return absl::StrJoin(names, ", ");
}

// The rule. UNSPECIFIED is INVALID_ARGUMENT when `required`, else
// `unspecified`.
template <typename Proto, typename Domain>
absl::StatusOr<std::optional<Domain>> Judge(
    Proto value, std::optional<Domain> (*convert)(Proto),
    absl::string_view field, bool required, std::optional<Domain> unspecified) {
  if (std::optional<Domain> known = convert(value)) return known;
  if (static_cast<int>(value) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", static_cast<int>(value), " is not one of ",
                     AcceptedNames(convert)));
  }
  if (!required) return unspecified;
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is required: one of ", AcceptedNames(convert)));
}

}  // namespace enum_conversions_internal

// Request field `field` that has no default: UNSPECIFIED is
// INVALID_ARGUMENT.
template <typename Proto, typename Domain>
absl::StatusOr<Domain> RequiredEnum(Proto value,
                                    std::optional<Domain> (*convert)(Proto),
                                    absl::string_view field) {
  auto judged = enum_conversions_internal::Judge(
      value, convert, field, /*required=*/true, std::optional<Domain>());
  if (!judged.ok()) return judged.status();
  return **judged;
}

// Request field `field` whose documented default is `default_value`.
template <typename Proto, typename Domain>
absl::StatusOr<Domain> EnumOrDefault(Proto value,
                                     std::optional<Domain> (*convert)(Proto),
                                     Domain default_value,
                                     absl::string_view field) {
  auto judged = enum_conversions_internal::Judge(
      value, convert, field, /*required=*/false,
      std::optional<Domain>(default_value));
  if (!judged.ok()) return judged.status();
  return **judged;
}

// A filter of a listing, request field `field`: UNSPECIFIED is nullopt
// (no filter).
template <typename Proto, typename Domain>
absl::StatusOr<std::optional<Domain>> EnumFilter(
    Proto value, std::optional<Domain> (*convert)(Proto),
    absl::string_view field) {
  return enum_conversions_internal::Judge(value, convert, field,
                                          /*required=*/false,
                                          std::optional<Domain>());
}

}  // namespace sejf::server

#endif  // SEJF_SERVER_ENUM_CONVERSIONS_H_
