#include "client/sessions_api.h"

#include "client/common_conversions.h"
#include "client/ksef_conversions.h"
#include "client/session_conversions.h"
#include "client/unary_call.h"
#include "sejf/v1/ksef_sessions.grpc.pb.h"

namespace sejf::client {
namespace {

using v1::KsefSessions;

const auto kSession = [](const auto& response) {
  return FromProto(response.session());
};
const auto kFromProto = [](const auto& response) {
  return FromProto(response);
};

}  // namespace

struct SessionsApi::Stub {
  std::unique_ptr<KsefSessions::Stub> rpc;
};

SessionsApi::SessionsApi(std::shared_ptr<grpc::Channel> channel,
                         absl::Duration timeout)
    : stub_(new Stub{KsefSessions::NewStub(std::move(channel))}),
      timeout_(timeout) {}

SessionsApi::~SessionsApi() = default;

absl::StatusOr<KsefSession> SessionsApi::Open(const SessionOpening& opening) {
  return Converted(UnaryCall(*stub_->rpc, &KsefSessions::Stub::OpenSession,
                             ToProto(opening), timeout_),
                   kSession);
}

absl::StatusOr<AccessToken> SessionsApi::GetAccessToken(
    const std::string& name) {
  auto response = CallWithName(*stub_->rpc, &KsefSessions::Stub::GetAccessToken,
                               name, timeout_);
  if (!response.ok()) return response.status();
  AccessToken token = FromProto(*response);
  WipeString(response->mutable_access_token());
  return token;
}

absl::StatusOr<KsefSession> SessionsApi::Get(const std::string& name) {
  return Converted(CallWithName(*stub_->rpc, &KsefSessions::Stub::GetSession,
                                name, timeout_),
                   kSession);
}

absl::StatusOr<Page<KsefSession>> SessionsApi::ListPage(
    const PageRequest& page) {
  return Converted(UnaryCall(*stub_->rpc, &KsefSessions::Stub::ListSessions,
                             ToListSessionsRequest(page), timeout_),
                   kFromProto);
}

absl::StatusOr<std::vector<KsefSession>> SessionsApi::ListAll() {
  return FollowPages<KsefSession>(
      [&](const PageRequest& page) { return ListPage(page); });
}

absl::StatusOr<KsefSession> SessionsApi::Close(const std::string& name) {
  return Converted(CallWithName(*stub_->rpc, &KsefSessions::Stub::CloseSession,
                                name, timeout_),
                   kSession);
}

absl::StatusOr<std::vector<MinistryCertificate>>
SessionsApi::FetchMinistryCertificates(const MinistryCertificateFetch& fetch) {
  return Converted(
      UnaryCall(*stub_->rpc, &KsefSessions::Stub::FetchMinistryCertificates,
                ToProto(fetch), timeout_),
      kFromProto);
}

}  // namespace sejf::client
