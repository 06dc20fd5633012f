#include "client/tokens_api.h"

#include "client/unary_call.h"

namespace sejf::client {

using v1::TokenVault;

TokensApi::TokensApi(std::shared_ptr<grpc::Channel> channel,
                     absl::Duration timeout)
    : stub_(TokenVault::NewStub(std::move(channel))), timeout_(timeout) {}

absl::StatusOr<v1::Token> TokensApi::Import(
    const v1::ImportTokenRequest& request) {
  auto r = UnaryCall(*stub_, &TokenVault::Stub::ImportToken, request, timeout_);
  if (!r.ok()) return r.status();
  return r->token();
}

absl::StatusOr<v1::Token> TokensApi::Rotate(
    const v1::RotateTokenRequest& request) {
  auto r = UnaryCall(*stub_, &TokenVault::Stub::RotateToken, request, timeout_);
  if (!r.ok()) return r.status();
  return r->token();
}

absl::StatusOr<v1::ListTokensResponse> TokensApi::ListPage(
    const v1::ListTokensRequest& request) {
  return UnaryCall(*stub_, &TokenVault::Stub::ListTokens, request, timeout_);
}

absl::StatusOr<std::vector<v1::Token>> TokensApi::ListAll(
    v1::ListTokensRequest request) {
  std::vector<v1::Token> tokens;
  do {
    auto page = ListPage(request);
    if (!page.ok()) return page.status();
    tokens.insert(tokens.end(), page->tokens().begin(), page->tokens().end());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  return tokens;
}

namespace {

template <typename Request, typename Response>
absl::StatusOr<v1::Token> ByName(
    TokenVault::Stub& stub,
    grpc::Status (TokenVault::Stub::*method)(grpc::ClientContext*,
                                             const Request&, Response*),
    const std::string& name, absl::Duration timeout) {
  Request request;
  request.set_name(name);
  auto r = UnaryCall(stub, method, request, timeout);
  if (!r.ok()) return r.status();
  return r->token();
}

}  // namespace

absl::StatusOr<v1::Token> TokensApi::Get(const std::string& name) {
  return ByName(*stub_, &TokenVault::Stub::GetToken, name, timeout_);
}

absl::StatusOr<v1::Token> TokensApi::Disable(const std::string& name) {
  return ByName(*stub_, &TokenVault::Stub::DisableToken, name, timeout_);
}

absl::StatusOr<v1::Token> TokensApi::Enable(const std::string& name) {
  return ByName(*stub_, &TokenVault::Stub::EnableToken, name, timeout_);
}

absl::StatusOr<v1::Token> TokensApi::Destroy(const std::string& name) {
  return ByName(*stub_, &TokenVault::Stub::DestroyToken, name, timeout_);
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
