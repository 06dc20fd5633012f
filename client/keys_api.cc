#include "client/keys_api.h"

#include "client/unary_call.h"

namespace sejf::client {
namespace {

using v1::KeyCustody;

const auto kKey = [](const auto& response) { return response.key(); };

}  // namespace

KeysApi::KeysApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(KeyCustody::NewStub(std::move(channel))), timeout_(timeout) {}

absl::StatusOr<v1::Key> KeysApi::Generate(
    const v1::GenerateKeyRequest& request) {
  return Picked(
      UnaryCall(*stub_, &KeyCustody::Stub::GenerateKey, request, timeout_),
      kKey);
}

absl::StatusOr<v1::Key> KeysApi::Get(const std::string& name) {
  return Picked(CallWithName(*stub_, &KeyCustody::Stub::GetKey, name, timeout_),
                kKey);
}

absl::StatusOr<v1::ListKeysResponse> KeysApi::ListPage(
    const v1::ListKeysRequest& request) {
  return UnaryCall(*stub_, &KeyCustody::Stub::ListKeys, request, timeout_);
}

absl::StatusOr<std::vector<v1::Key>> KeysApi::ListAll(
    v1::ListKeysRequest request) {
  return FollowPages<v1::Key>(
      std::move(request), [this](const auto& r) { return ListPage(r); },
      [](const v1::ListKeysResponse& page) -> const auto& {
        return page.keys();
      });
}

absl::StatusOr<v1::CreateCsrResponse> KeysApi::CreateCsr(
    const v1::CreateCsrRequest& request) {
  return UnaryCall(*stub_, &KeyCustody::Stub::CreateCsr, request, timeout_);
}

absl::StatusOr<v1::Key> KeysApi::SelfSign(
    const v1::SelfSignCertificateRequest& request) {
  return Picked(UnaryCall(*stub_, &KeyCustody::Stub::SelfSignCertificate,
                          request, timeout_),
                kKey);
}

absl::StatusOr<v1::Key> KeysApi::AttachCertificate(
    const v1::AttachCertificateRequest& request) {
  return Picked(UnaryCall(*stub_, &KeyCustody::Stub::AttachCertificate, request,
                          timeout_),
                kKey);
}

absl::StatusOr<v1::Key> KeysApi::Disable(const std::string& name) {
  return Picked(
      CallWithName(*stub_, &KeyCustody::Stub::DisableKey, name, timeout_),
      kKey);
}

absl::StatusOr<v1::Key> KeysApi::Enable(const std::string& name) {
  return Picked(
      CallWithName(*stub_, &KeyCustody::Stub::EnableKey, name, timeout_), kKey);
}

absl::StatusOr<v1::Key> KeysApi::Destroy(const std::string& name) {
  return Picked(
      CallWithName(*stub_, &KeyCustody::Stub::DestroyKey, name, timeout_),
      kKey);
}

}  // namespace sejf::client
