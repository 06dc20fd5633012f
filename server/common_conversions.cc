#include "server/common_conversions.h"

#include <google/protobuf/util/time_util.h>

namespace sejf::server {

using google::protobuf::util::TimeUtil;

std::optional<vault::CredentialState> StateFromProto(
    sejf::v1::CredentialState s) {
  switch (s) {
    case sejf::v1::CREDENTIAL_STATE_ACTIVE:
      return vault::CredentialState::kActive;
    case sejf::v1::CREDENTIAL_STATE_DISABLED:
      return vault::CredentialState::kDisabled;
    case sejf::v1::CREDENTIAL_STATE_DESTROYED:
      return vault::CredentialState::kDestroyed;
    default:
      return std::nullopt;
  }
}

sejf::v1::CredentialState StateToProto(vault::CredentialState s) {
  switch (s) {
    case vault::CredentialState::kActive:
      return sejf::v1::CREDENTIAL_STATE_ACTIVE;
    case vault::CredentialState::kDisabled:
      return sejf::v1::CREDENTIAL_STATE_DISABLED;
    case vault::CredentialState::kDestroyed:
      return sejf::v1::CREDENTIAL_STATE_DESTROYED;
  }
  return sejf::v1::CREDENTIAL_STATE_UNSPECIFIED;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

}  // namespace sejf::server
