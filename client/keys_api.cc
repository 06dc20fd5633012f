#include "client/keys_api.h"

#include "client/key_conversions.h"
#include "client/unary_call.h"
#include "sejf/v1/key_custody.grpc.pb.h"

namespace sejf::client {
namespace {

using v1::KeyCustody;

const auto kKey = [](const auto& response) {
  return FromProto(response.key());
};
const auto kFromProto = [](const auto& response) {
  return FromProto(response);
};

}  // namespace

struct KeysApi::Stub {
  std::unique_ptr<KeyCustody::Stub> rpc;
};

KeysApi::KeysApi(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(new Stub{KeyCustody::NewStub(std::move(channel))}),
      timeout_(timeout) {}

KeysApi::~KeysApi() = default;

absl::StatusOr<Key> KeysApi::Generate(const NewKey& key) {
  return Converted(UnaryCall(*stub_->rpc, &KeyCustody::Stub::GenerateKey,
                             ToProto(key), timeout_),
                   kKey);
}

absl::StatusOr<Key> KeysApi::Get(const std::string& name) {
  return Converted(
      CallWithName(*stub_->rpc, &KeyCustody::Stub::GetKey, name, timeout_),
      kKey);
}

absl::StatusOr<Page<Key>> KeysApi::ListPage(const KeyFilter& filter,
                                            const PageRequest& page) {
  return Converted(UnaryCall(*stub_->rpc, &KeyCustody::Stub::ListKeys,
                             ToProto(filter, page), timeout_),
                   kFromProto);
}

absl::StatusOr<std::vector<Key>> KeysApi::ListAll(const KeyFilter& filter) {
  return FollowPages<Key>(
      [&](const PageRequest& page) { return ListPage(filter, page); });
}

absl::StatusOr<Csr> KeysApi::CreateCsr(const std::string& name,
                                       const CsrSubject& subject) {
  return Converted(UnaryCall(*stub_->rpc, &KeyCustody::Stub::CreateCsr,
                             ToProto(name, subject), timeout_),
                   kFromProto);
}

absl::StatusOr<Key> KeysApi::SelfSign(const std::string& name,
                                      const std::string& subject,
                                      int validity_days) {
  v1::SelfSignCertificateRequest request;
  request.set_name(name);
  request.set_subject(subject);
  request.set_validity_days(validity_days);
  return Converted(
      UnaryCall(*stub_->rpc, &KeyCustody::Stub::SelfSignCertificate, request,
                timeout_),
      kKey);
}

absl::StatusOr<Key> KeysApi::AttachCertificate(
    const std::string& name, const std::string& certificate_chain) {
  v1::AttachCertificateRequest request;
  request.set_name(name);
  request.set_certificate_chain(certificate_chain);
  return Converted(UnaryCall(*stub_->rpc, &KeyCustody::Stub::AttachCertificate,
                             request, timeout_),
                   kKey);
}

absl::StatusOr<Key> KeysApi::Disable(const std::string& name) {
  return Converted(
      CallWithName(*stub_->rpc, &KeyCustody::Stub::DisableKey, name, timeout_),
      kKey);
}

absl::StatusOr<Key> KeysApi::Enable(const std::string& name) {
  return Converted(
      CallWithName(*stub_->rpc, &KeyCustody::Stub::EnableKey, name, timeout_),
      kKey);
}

absl::StatusOr<Key> KeysApi::Destroy(const std::string& name) {
  return Converted(
      CallWithName(*stub_->rpc, &KeyCustody::Stub::DestroyKey, name, timeout_),
      kKey);
}

absl::StatusOr<Key> KeysApi::Enroll(const EnrollKey& request) {
  return Converted(UnaryCall(*stub_->rpc, &KeyCustody::Stub::EnrollKey,
                             ToProto(request), timeout_),
                   kKey);
}

absl::StatusOr<RevokedKey> KeysApi::Revoke(const std::string& name,
                                           const std::string& session,
                                           RevocationReason reason,
                                           int version) {
  return Converted(UnaryCall(*stub_->rpc, &KeyCustody::Stub::RevokeKey,
                             ToProto(name, session, reason, version), timeout_),
                   kFromProto);
}

absl::StatusOr<ImportKeyInfo> KeysApi::GetImportKey() {
  auto response = UnaryCall(*stub_->rpc, &KeyCustody::Stub::GetImportKey,
                            v1::GetImportKeyRequest(), timeout_);
  if (!response.ok()) return response.status();
  return ImportKeyInfo{.public_key_der = response->public_key_der(),
                       .public_key_pem = response->public_key_pem(),
                       .fingerprint = response->fingerprint_sha256(),
                       .scheme = response->scheme()};
}

absl::StatusOr<Key> KeysApi::Import(const KeyImportRequest& request) {
  return Converted(UnaryCall(*stub_->rpc, &KeyCustody::Stub::ImportKey,
                             ToProto(request), timeout_),
                   kKey);
}

absl::StatusOr<Key> KeysApi::Renew(const std::string& name,
                                   const std::string& session,
                                   std::optional<int> renew_before_days) {
  v1::RenewKeyRequest request;
  request.set_name(name);
  request.set_session(session);
  if (renew_before_days.has_value()) {
    request.set_renew_before_days(*renew_before_days);
  }
  return Converted(
      UnaryCall(*stub_->rpc, &KeyCustody::Stub::RenewKey, request, timeout_),
      kKey);
}

absl::StatusOr<std::vector<KeyVersion>> KeysApi::Versions(
    const std::string& name) {
  v1::ListKeyVersionsRequest request;
  request.set_name(name);
  return Converted(UnaryCall(*stub_->rpc, &KeyCustody::Stub::ListKeyVersions,
                             request, timeout_),
                   kFromProto);
}

absl::StatusOr<Key> KeysApi::SetRenewal(const std::string& name,
                                        int renew_before_days) {
  v1::SetKeyRenewalRequest request;
  request.set_name(name);
  request.set_renew_before_days(renew_before_days);
  return Converted(UnaryCall(*stub_->rpc, &KeyCustody::Stub::SetKeyRenewal,
                             request, timeout_),
                   kKey);
}

}  // namespace sejf::client
