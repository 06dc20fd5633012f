// proto ⇄ domain conversions for what the services share
// (sejf/v1/common.proto, google.protobuf.Timestamp). Request enums follow
// the rule of enum_conversions.h.
//
// Thread-safety: pure functions.
#ifndef SEJF_SERVER_COMMON_CONVERSIONS_H_
#define SEJF_SERVER_COMMON_CONVERSIONS_H_

#include <google/protobuf/timestamp.pb.h>

#include <optional>

#include "absl/time/time.h"
#include "sejf/v1/common.pb.h"
#include "vault/records/key_record.h"

namespace sejf::server {

// A known state; nullopt for UNSPECIFIED and unknown numbers.
std::optional<vault::CredentialState> StateFromProto(
    sejf::v1::CredentialState s);
sejf::v1::CredentialState StateToProto(vault::CredentialState s);

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);

}  // namespace sejf::server

#endif  // SEJF_SERVER_COMMON_CONVERSIONS_H_
