// proto ⇄ domain conversions for sejf.v1.TokenVault. The enum conversions
// map a known value and give nullopt for anything else (UNSPECIFIED
// included); the adapter applies the rule of enum_conversions.h. Nothing
// here ever touches a token's secret.
//
// Thread-safety: pure functions.
#ifndef SEJF_SERVER_TOKEN_CONVERSIONS_H_
#define SEJF_SERVER_TOKEN_CONVERSIONS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sejf/v1/token_vault.pb.h"
#include "vault/records/token_record.h"
#include "vault/tokens/token_vault.h"

namespace sejf::server {

std::optional<vault::TokenPermission> PermissionFromProto(
    sejf::v1::TokenPermission permission);
sejf::v1::TokenPermission PermissionToProto(vault::TokenPermission permission);

// Fills `out` from `token` (metadata only: the domain never hands out the
// secret and the proto has no field for it).
void TokenToProto(const vault::Token& token, sejf::v1::Token* out);

// KSeF's status name ("Active", …; "" never asked) as the proto enum
// (issue 14).
sejf::v1::KsefTokenStatus KsefTokenStatusToProto(absl::string_view status);

}  // namespace sejf::server

#endif  // SEJF_SERVER_TOKEN_CONVERSIONS_H_
