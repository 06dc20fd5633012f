// Adding context to an absl::Status (or StatusOr) on its way up: the one
// place that prefixes a status message, for every layer.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_COMMON_STATUS_CONTEXT_H_
#define SEJF_COMMON_STATUS_CONTEXT_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sejf {

// `status` with "<context>: " put in front of its message and the same code;
// OK stays OK. `context` must never contain a secret.
inline absl::Status WithContext(const absl::Status& status,
                                absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

// The same for a StatusOr: the value when OK, else the status with context.
template <typename T>
absl::StatusOr<T> WithContext(absl::StatusOr<T> result,
                              absl::string_view context) {
  if (result.ok()) return result;
  return WithContext(result.status(), context);
}

// For adapters: an INVALID_ARGUMENT `status` with "<field>: " put in front of
// its message, naming the request field the caller should fix, unless the
// message already starts with that field's name. Any other status (OK
// included) is returned unchanged: only bad input is about a field.
inline absl::Status WithField(absl::string_view field,
                              const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument ||
      absl::StartsWith(status.message(), field)) {
    return status;
  }
  return WithContext(status, field);
}

// The same for a StatusOr: the value when OK, else the status with the field.
template <typename T>
absl::StatusOr<T> WithField(absl::string_view field, absl::StatusOr<T> value) {
  if (value.ok()) return value;
  return WithField(field, value.status());
}

// The field an INVALID_ARGUMENT is about, carried in the status (a payload
// under this type URL), not in its prose: the domain tags its own field
// names, the adapter reads them and names the request field.
inline constexpr absl::string_view kFieldPayloadUrl = "type.sejf.dev/field";

// For the domain: `status` tagged as being about `field` when it is
// INVALID_ARGUMENT; any other status unchanged.
inline absl::Status TagField(absl::string_view field, absl::Status status) {
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    status.SetPayload(kFieldPayloadUrl, absl::Cord(field));
  }
  return status;
}

// The field `status` was tagged with by TagField, if any.
inline std::optional<std::string> TaggedField(const absl::Status& status) {
  auto field = status.GetPayload(kFieldPayloadUrl);
  if (!field) return std::nullopt;
  return std::string(*field);
}

// For adapters whose request fields are named as the domain's: WithField
// with the field the status was tagged with; unchanged when untagged.
inline absl::Status WithTaggedField(const absl::Status& status) {
  std::optional<std::string> field = TaggedField(status);
  return field ? WithField(*field, status) : status;
}

}  // namespace sejf

#endif  // SEJF_COMMON_STATUS_CONTEXT_H_
