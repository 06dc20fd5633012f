// What the adapters share to authorize a call on one key or token: the
// policy target of a credential, and the lookup of a token that keeps "not
// yours" and "missing" alike (rpc_call.h, quiet refusals).
//
// Thread-safety: functions without state; RpcCall is the caller's.
#ifndef SEJF_SERVER_CREDENTIAL_ACCESS_H_
#define SEJF_SERVER_CREDENTIAL_ACCESS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/rpc_call.h"
#include "vault/tokens/token_vault.h"

namespace sejf::server {

// The target "keys/{name}" (credential `name`) in `context` when given;
// `detail` is a short non-secret note for the audit event.
AccessTarget KeyTarget(const std::string& name,
                       std::optional<std::string> context = std::nullopt,
                       std::string detail = "");

// The target "tokens/{name}", the same way.
AccessTarget TokenTarget(const std::string& name,
                         std::optional<std::string> context = std::nullopt,
                         std::string detail = "");

// NOT_FOUND for token `name` (a valid name): what a caller allowed to act on
// the name gets both when the token does not exist and when it is in a
// context the caller's rules do not reach (the same status, byte for byte).
// With `context`, the answer to a caller who said the token is in that
// context: `token "x" not found in context nip:…`.
absl::Status TokenNotFound(absl::string_view name,
                           const std::optional<std::string>& context = {});

// Token `name` (a valid name), looked up for `operation`, with the policy
// asked so that a token the caller may not use is answered exactly as a
// missing one:
//   - `context` unset: by name before the lookup (AuthorizeName:
//     PERMISSION_DENIED, whether or not it exists, when no rule could allow
//     it), then in the token's own context (AuthorizeFound); TokenNotFound
//     when missing or denied there;
//   - `context` set (the caller says which context the token is in): in
//     that context before the lookup (Authorize: PERMISSION_DENIED when
//     refused); TokenNotFound(name, context) when missing or in another
//     context.
// `detail` goes into the audit event. Errors of the vault otherwise.
absl::StatusOr<vault::Token> FindAuthorizedToken(
    RpcCall& call, vault::TokenVault& tokens, const std::string& name,
    Operation operation, const std::optional<std::string>& context = {},
    const std::string& detail = "");

}  // namespace sejf::server

#endif  // SEJF_SERVER_CREDENTIAL_ACCESS_H_
