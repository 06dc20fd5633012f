#include "client/tokens_api.h"

#include "client/unary_call.h"

namespace sejf::client {

namespace {

using v1::TokenVault;

const auto kToken = [](const auto& response) { return response.token(); };

}  // namespace

TokensApi::TokensApi(std::shared_ptr<grpc::Channel> channel,
                     absl::Duration timeout)
    : stub_(TokenVault::NewStub(std::move(channel))), timeout_(timeout) {}

absl::StatusOr<v1::Token> TokensApi::Import(
    const v1::ImportTokenRequest& request) {
  return Picked(
      UnaryCall(*stub_, &TokenVault::Stub::ImportToken, request, timeout_),
      kToken);
}

absl::StatusOr<v1::Token> TokensApi::Rotate(
    const v1::RotateTokenRequest& request) {
  return Picked(
      UnaryCall(*stub_, &TokenVault::Stub::RotateToken, request, timeout_),
      kToken);
}

absl::StatusOr<v1::ListTokensResponse> TokensApi::ListPage(
    const v1::ListTokensRequest& request) {
  return UnaryCall(*stub_, &TokenVault::Stub::ListTokens, request, timeout_);
}

absl::StatusOr<std::vector<v1::Token>> TokensApi::ListAll(
    v1::ListTokensRequest request) {
  return FollowPages<v1::Token>(
      std::move(request), [this](const auto& r) { return ListPage(r); },
      [](const v1::ListTokensResponse& page) -> const auto& {
        return page.tokens();
      });
}

absl::StatusOr<v1::Token> TokensApi::Get(const std::string& name) {
  return Picked(
      CallWithName(*stub_, &TokenVault::Stub::GetToken, name, timeout_),
      kToken);
}

absl::StatusOr<v1::Token> TokensApi::Disable(const std::string& name) {
  return Picked(
      CallWithName(*stub_, &TokenVault::Stub::DisableToken, name, timeout_),
      kToken);
}

absl::StatusOr<v1::Token> TokensApi::Enable(const std::string& name) {
  return Picked(
      CallWithName(*stub_, &TokenVault::Stub::EnableToken, name, timeout_),
      kToken);
}

absl::StatusOr<v1::Token> TokensApi::Destroy(const std::string& name) {
  return Picked(
      CallWithName(*stub_, &TokenVault::Stub::DestroyToken, name, timeout_),
      kToken);
}

absl::StatusOr<int64_t> TokensApi::RotateDataKey() {
  auto r = UnaryCall(*stub_, &TokenVault::Stub::RotateDataKey,
                     v1::RotateDataKeyRequest(), timeout_);
  if (!r.ok()) return r.status();
  return r->data_key_id();
}

absl::StatusOr<std::string> TokensApi::RotateKeyEncryptionKey() {
  auto r = UnaryCall(*stub_, &TokenVault::Stub::RotateKeyEncryptionKey,
                     v1::RotateKeyEncryptionKeyRequest(), timeout_);
  if (!r.ok()) return r.status();
  return r->kek_uri();
}

absl::StatusOr<v1::GetVaultStatusResponse> TokensApi::Status() {
  return UnaryCall(*stub_, &TokenVault::Stub::GetVaultStatus,
                   v1::GetVaultStatusRequest(), timeout_);
}

}  // namespace sejf::client
