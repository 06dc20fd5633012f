// Conversions between the client types and the API's messages that every
// service shares: times, credential states, pages, and the table helper the
// enum conversions use. Internal to client/: callers use the *_api.h.
//
// Each conversion is written once, here or in the service's
// *_conversions.cc; the client carries values, the server judges them.
#ifndef SEJF_CLIENT_COMMON_CONVERSIONS_H_
#define SEJF_CLIENT_COMMON_CONVERSIONS_H_

#include <google/protobuf/timestamp.pb.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "client/common_types.h"
#include "sejf/v1/common.pb.h"

namespace sejf::client {

// Exact both ways (nanoseconds). An unset Timestamp reads as the Unix epoch.
absl::Time FromProto(const google::protobuf::Timestamp& t);
google::protobuf::Timestamp ToProto(absl::Time t);

// A field the API leaves unset for "none" (e.g. a token's expire_time).
std::optional<absl::Time> OptionalTime(bool has,
                                       const google::protobuf::Timestamp& t);

CredentialState FromProto(v1::CredentialState state);
v1::CredentialState ToProto(CredentialState state);
// Unset: CREDENTIAL_STATE_UNSPECIFIED, which filters mean "any".
v1::CredentialState ToProto(const std::optional<CredentialState>& state);

// An enum conversion table: each client value beside its API value. The
// same table converts both ways; a value missing from it becomes
// `fallback` (the UNSPECIFIED of the other side).
template <typename From, typename To, std::size_t N>
To Convert(const std::pair<From, To> (&table)[N], From value, To fallback) {
  for (const auto& [from, to] : table) {
    if (from == value) return to;
  }
  return fallback;
}
template <typename From, typename To, std::size_t N>
From ConvertBack(const std::pair<From, To> (&table)[N], To value,
                 From fallback) {
  for (const auto& [from, to] : table) {
    if (to == value) return from;
  }
  return fallback;
}

// Overwrites and clears a request's copy of a secret (the SecretBytes it
// came from wipes itself).
void WipeString(std::string* secret);

// Page fields of a List*Request.
template <typename Request>
void SetPage(const PageRequest& page, Request* request) {
  request->set_page_size(page.page_size);
  request->set_page_token(page.page_token);
}

}  // namespace sejf::client

#endif  // SEJF_CLIENT_COMMON_CONVERSIONS_H_
