#include "client/tokens_api.h"

#include "client/common_conversions.h"
#include "client/token_conversions.h"
#include "client/unary_call.h"
#include "sejf/v1/token_vault.grpc.pb.h"

namespace sejf::client {
namespace {

using v1::TokenVault;

const auto kToken = [](const auto& response) {
  return FromProto(response.token());
};
const auto kFromProto = [](const auto& response) {
  return FromProto(response);
};

}  // namespace

struct TokensApi::Stub {
  std::unique_ptr<TokenVault::Stub> rpc;
};

TokensApi::TokensApi(std::shared_ptr<grpc::Channel> channel,
                     absl::Duration timeout)
    : stub_(new Stub{TokenVault::NewStub(std::move(channel))}),
      timeout_(timeout) {}

TokensApi::~TokensApi() = default;

absl::StatusOr<Token> TokensApi::Import(const TokenImport& token) {
  v1::ImportTokenRequest request = ToProto(token);
  auto response =
      UnaryCall(*stub_->rpc, &TokenVault::Stub::ImportToken, request, timeout_);
  WipeString(request.mutable_secret());
  return Converted(response, kToken);
}

absl::StatusOr<Token> TokensApi::Rotate(const std::string& name,
                                        const SecretBytes& secret) {
  v1::RotateTokenRequest request;
  request.set_name(name);
  const absl::string_view view = SecretView(secret);
  request.set_secret(view.data(), view.size());
  auto response =
      UnaryCall(*stub_->rpc, &TokenVault::Stub::RotateToken, request, timeout_);
  WipeString(request.mutable_secret());
  return Converted(response, kToken);
}

absl::StatusOr<Token> TokensApi::RotateEncrypted(
    const std::string& name, const std::string& encrypted_secret) {
  v1::RotateTokenRequest request;
  request.set_name(name);
  request.set_encrypted_secret(encrypted_secret);
  return Converted(
      UnaryCall(*stub_->rpc, &TokenVault::Stub::RotateToken, request, timeout_),
      kToken);
}

absl::StatusOr<Token> TokensApi::Get(const std::string& name) {
  return Converted(
      CallWithName(*stub_->rpc, &TokenVault::Stub::GetToken, name, timeout_),
      kToken);
}

absl::StatusOr<Page<Token>> TokensApi::ListPage(const TokenFilter& filter,
                                                const PageRequest& page) {
  return Converted(UnaryCall(*stub_->rpc, &TokenVault::Stub::ListTokens,
                             ToProto(filter, page), timeout_),
                   kFromProto);
}

absl::StatusOr<std::vector<Token>> TokensApi::ListAll(
    const TokenFilter& filter) {
  return FollowPages<Token>(
      [&](const PageRequest& page) { return ListPage(filter, page); });
}

absl::StatusOr<Token> TokensApi::Disable(const std::string& name) {
  return Converted(CallWithName(*stub_->rpc, &TokenVault::Stub::DisableToken,
                                name, timeout_),
                   kToken);
}

absl::StatusOr<Token> TokensApi::Enable(const std::string& name) {
  return Converted(
      CallWithName(*stub_->rpc, &TokenVault::Stub::EnableToken, name, timeout_),
      kToken);
}

absl::StatusOr<Token> TokensApi::Destroy(const std::string& name) {
  return Converted(CallWithName(*stub_->rpc, &TokenVault::Stub::DestroyToken,
                                name, timeout_),
                   kToken);
}

absl::StatusOr<Token> TokensApi::CreateInKsef(const TokenCreate& create) {
  return Converted(UnaryCall(*stub_->rpc, &TokenVault::Stub::CreateTokenInKsef,
                             ToProto(create), timeout_),
                   kToken);
}

absl::StatusOr<Token> TokensApi::DestroyRevokingInKsef(
    const std::string& name, const std::string& session) {
  v1::DestroyTokenRequest request;
  request.set_name(name);
  request.set_revoke_in_ksef(true);
  request.set_session(session);
  return Converted(UnaryCall(*stub_->rpc, &TokenVault::Stub::DestroyToken,
                             request, timeout_),
                   kToken);
}

absl::StatusOr<Token> TokensApi::CheckInKsef(const std::string& name) {
  return Converted(
      CallWithName(*stub_->rpc, &TokenVault::Stub::CheckTokenInKsef, name,
                   timeout_),
      kToken);
}

absl::StatusOr<DataKeyRotation> TokensApi::RotateDataKey() {
  return Converted(UnaryCall(*stub_->rpc, &TokenVault::Stub::RotateDataKey,
                             v1::RotateDataKeyRequest(), timeout_),
                   kFromProto);
}

absl::StatusOr<KekRotation> TokensApi::RotateKeyEncryptionKey() {
  return Converted(
      UnaryCall(*stub_->rpc, &TokenVault::Stub::RotateKeyEncryptionKey,
                v1::RotateKeyEncryptionKeyRequest(), timeout_),
      kFromProto);
}

absl::StatusOr<VaultCheck> TokensApi::Check() {
  return Converted(UnaryCall(*stub_->rpc, &TokenVault::Stub::CheckVault,
                             v1::CheckVaultRequest(), timeout_),
                   kFromProto);
}

absl::StatusOr<VaultStatus> TokensApi::Status() {
  return Converted(UnaryCall(*stub_->rpc, &TokenVault::Stub::GetVaultStatus,
                             v1::GetVaultStatusRequest(), timeout_),
                   kFromProto);
}

}  // namespace sejf::client
