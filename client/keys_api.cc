#include "client/keys_api.h"

#include "client/unary_call.h"

namespace sejf::client {

using v1::KeyCustody;

KeysApi::KeysApi(std::shared_ptr<grpc::Channel> channel,
                 absl::Duration timeout)
    : stub_(KeyCustody::NewStub(std::move(channel))), timeout_(timeout) {}

absl::StatusOr<v1::Key> KeysApi::Generate(
    const v1::GenerateKeyRequest& request) {
  auto r = UnaryCall(*stub_, &KeyCustody::Stub::GenerateKey, request, timeout_);
  if (!r.ok()) return r.status();
  return r->key();
}

absl::StatusOr<v1::ListKeysResponse> KeysApi::ListPage(
    const v1::ListKeysRequest& request) {
  return UnaryCall(*stub_, &KeyCustody::Stub::ListKeys, request, timeout_);
}

absl::StatusOr<std::vector<v1::Key>> KeysApi::ListAll(
    v1::ListKeysRequest request) {
  std::vector<v1::Key> keys;
  do {
    auto page = ListPage(request);
    if (!page.ok()) return page.status();
    keys.insert(keys.end(), page->keys().begin(), page->keys().end());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  return keys;
}

absl::StatusOr<v1::CreateCsrResponse> KeysApi::CreateCsr(
    const v1::CreateCsrRequest& request) {
  return UnaryCall(*stub_, &KeyCustody::Stub::CreateCsr, request, timeout_);
}

absl::StatusOr<v1::Key> KeysApi::SelfSign(
    const v1::SelfSignCertificateRequest& request) {
  auto r = UnaryCall(*stub_, &KeyCustody::Stub::SelfSignCertificate, request,
                     timeout_);
  if (!r.ok()) return r.status();
  return r->key();
}

absl::StatusOr<v1::Key> KeysApi::AttachCertificate(
    const v1::AttachCertificateRequest& request) {
  auto r = UnaryCall(*stub_, &KeyCustody::Stub::AttachCertificate, request,
                     timeout_);
  if (!r.ok()) return r.status();
  return r->key();
}

namespace {

template <typename Request, typename Response>
absl::StatusOr<v1::Key> ByName(
    KeyCustody::Stub& stub,
    grpc::Status (KeyCustody::Stub::*method)(grpc::ClientContext*,
                                             const Request&, Response*),
    const std::string& name, absl::Duration timeout) {
  Request request;
  request.set_name(name);
  auto r = UnaryCall(stub, method, request, timeout);
  if (!r.ok()) return r.status();
  return r->key();
}

}  // namespace

absl::StatusOr<v1::Key> KeysApi::Get(const std::string& name) {
  return ByName(*stub_, &KeyCustody::Stub::GetKey, name, timeout_);
}

absl::StatusOr<v1::Key> KeysApi::Disable(const std::string& name) {
  return ByName(*stub_, &KeyCustody::Stub::DisableKey, name, timeout_);
}

absl::StatusOr<v1::Key> KeysApi::Enable(const std::string& name) {
  return ByName(*stub_, &KeyCustody::Stub::EnableKey, name, timeout_);
}

absl::StatusOr<v1::Key> KeysApi::Destroy(const std::string& name) {
  return ByName(*stub_, &KeyCustody::Stub::DestroyKey, name, timeout_);
}

}  // namespace sejf::client
