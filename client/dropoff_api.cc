#include "client/dropoff_api.h"

#include <sodium.h>

#include "absl/time/time.h"
#include "client/unary_call.h"
#include "sejf/v1/dropoff.grpc.pb.h"

namespace sejf::client {
namespace {

using v1::Dropoff;

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string KindText(v1::DropoffKind kind) {
  switch (kind) {
    case v1::DROPOFF_KIND_TOKEN:
      return "token";
    case v1::DROPOFF_KIND_KEY:
      return "key";
    default:
      return "unspecified";
  }
}

std::string StateText(v1::DropoffState state) {
  switch (state) {
    case v1::DROPOFF_STATE_PENDING:
      return "pending";
    case v1::DROPOFF_STATE_USED:
      return "used";
    case v1::DROPOFF_STATE_CANCELLED:
      return "cancelled";
    case v1::DROPOFF_STATE_EXPIRED:
      return "expired";
    case v1::DROPOFF_STATE_LOCKED:
      return "locked";
    default:
      return "unspecified";
  }
}

DropoffLink FromProto(const v1::DropoffLink& p) {
  DropoffLink out;
  out.name = p.name();
  out.kind = KindText(p.kind());
  out.target_name = p.target_name();
  out.context = p.context();
  out.key_usage = p.key_usage();
  out.state = StateText(p.state());
  out.create_time = TimeOf(p.create_time());
  out.expire_time = TimeOf(p.expire_time());
  if (p.has_finish_time()) out.finish_time = TimeOf(p.finish_time());
  out.failed_attempts = p.failed_attempts();
  out.created_by = p.created_by();
  return out;
}

}  // namespace

struct DropoffApi::Stub {
  std::unique_ptr<Dropoff::Stub> rpc;
};

DropoffApi::DropoffApi(std::shared_ptr<grpc::Channel> channel,
                       absl::Duration timeout)
    : stub_(new Stub{Dropoff::NewStub(std::move(channel))}),
      timeout_(timeout) {}

DropoffApi::~DropoffApi() = default;

absl::StatusOr<CreatedDropoff> DropoffApi::Create(
    const DropoffCreate& request) {
  v1::CreateDropoffRequest r;
  r.set_token_name(request.token_name);
  r.set_key_name(request.key_name);
  r.set_context(request.context);
  r.set_key_usage(request.key_usage);
  r.set_lifetime_seconds(absl::ToInt64Seconds(request.lifetime));
  absl::StatusOr<v1::CreateDropoffResponse> response =
      UnaryCall(*stub_->rpc, &Dropoff::Stub::CreateDropoff, r, timeout_);
  if (!response.ok()) return response.status();
  CreatedDropoff out;
  out.link = FromProto(response->dropoff());
  out.url = SecretFromView(response->url());
  std::string* url = response->mutable_url();
  sodium_memzero(url->data(), url->size());
  out.import_key_fingerprint = response->import_key_fingerprint();
  return out;
}

absl::StatusOr<std::vector<DropoffLink>> DropoffApi::List() {
  absl::StatusOr<v1::ListDropoffsResponse> response =
      UnaryCall(*stub_->rpc, &Dropoff::Stub::ListDropoffs,
                v1::ListDropoffsRequest(), timeout_);
  if (!response.ok()) return response.status();
  std::vector<DropoffLink> out;
  for (const v1::DropoffLink& link : response->dropoffs()) {
    out.push_back(FromProto(link));
  }
  return out;
}

absl::StatusOr<DropoffLink> DropoffApi::Cancel(const std::string& name) {
  absl::StatusOr<v1::CancelDropoffResponse> response =
      CallWithName(*stub_->rpc, &Dropoff::Stub::CancelDropoff, name, timeout_);
  if (!response.ok()) return response.status();
  return FromProto(response->dropoff());
}

}  // namespace sejf::client
