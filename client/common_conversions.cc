#include "client/common_conversions.h"

#include <sodium.h>

namespace sejf::client {
namespace {

constexpr std::pair<CredentialState, v1::CredentialState> kStates[] = {
    {CredentialState::kActive, v1::CREDENTIAL_STATE_ACTIVE},
    {CredentialState::kDisabled, v1::CREDENTIAL_STATE_DISABLED},
    {CredentialState::kDestroyed, v1::CREDENTIAL_STATE_DESTROYED},
};

}  // namespace

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  // ToUnixSeconds rounds towards the past, so nanos is in [0, 1e9).
  const int64_t seconds = absl::ToUnixSeconds(t);
  google::protobuf::Timestamp out;
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return out;
}

std::optional<absl::Time> OptionalTime(bool has,
                                       const google::protobuf::Timestamp& t) {
  if (!has) return std::nullopt;
  return FromProto(t);
}

CredentialState FromProto(v1::CredentialState state) {
  return ConvertBack(kStates, state, CredentialState::kUnspecified);
}

v1::CredentialState ToProto(CredentialState state) {
  return Convert(kStates, state, v1::CREDENTIAL_STATE_UNSPECIFIED);
}

v1::CredentialState ToProto(const std::optional<CredentialState>& state) {
  return state.has_value() ? ToProto(*state) : v1::CREDENTIAL_STATE_UNSPECIFIED;
}

void WipeString(std::string* secret) {
  sodium_memzero(secret->data(), secret->size());
  secret->clear();
}

}  // namespace sejf::client
