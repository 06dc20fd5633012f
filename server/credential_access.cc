#include "server/credential_access.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sejf::server {
namespace {

AccessTarget CredentialTarget(absl::string_view collection,
                              const std::string& name,
                              std::optional<std::string> context,
                              std::string detail) {
  AccessTarget target;
  target.resource = absl::StrCat(collection, "/", name);
  target.credential = name;
  target.context = std::move(context);
  target.detail = std::move(detail);
  return target;
}

}  // namespace

AccessTarget KeyTarget(const std::string& name,
                       std::optional<std::string> context, std::string detail) {
  return CredentialTarget("keys", name, std::move(context), std::move(detail));
}

AccessTarget TokenTarget(const std::string& name,
                         std::optional<std::string> context,
                         std::string detail) {
  return CredentialTarget("tokens", name, std::move(context),
                          std::move(detail));
}

absl::Status TokenNotFound(absl::string_view name,
                           const std::optional<std::string>& context) {
  if (context) {
    return absl::NotFoundError(
        absl::StrCat("token \"", name, "\" not found in context ", *context));
  }
  return absl::NotFoundError(absl::StrCat("token \"", name, "\" not found"));
}

absl::StatusOr<vault::Token> FindAuthorizedToken(
    RpcCall& call, vault::TokenVault& tokens, const std::string& name,
    Operation operation, const std::optional<std::string>& context,
    const std::string& detail) {
  // Authorized before the lookup, so the answer to a caller no rule covers
  // does not depend on whether the token exists.
  const absl::Status not_found = TokenNotFound(name, context);
  if (context) {
    RETURN_IF_ERROR(
        call.Authorize(operation, TokenTarget(name, *context, detail)));
  } else {
    RETURN_IF_ERROR(
        call.AuthorizeName(operation, TokenTarget(name, std::nullopt, detail)));
  }
  absl::StatusOr<vault::Token> token = tokens.Get(name);
  if (token.status().code() == absl::StatusCode::kNotFound) return not_found;
  if (!token.ok()) return token.status();
  if (context) {
    if (token->record.context != *context) return not_found;
  } else {
    // In the token's own context: one the caller's rules do not reach is
    // answered exactly as a missing token.
    RETURN_IF_ERROR(call.AuthorizeFound(
        operation, TokenTarget(name, token->record.context, detail),
        not_found));
  }
  return token;
}

}  // namespace sejf::server
