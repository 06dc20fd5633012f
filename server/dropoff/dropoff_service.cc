#include "server/dropoff/dropoff_service.h"

#include <sodium.h>

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/import_wrap.h"
#include "common/status_macros.h"
#include "server/common_conversions.h"

namespace sejf::server {
namespace {

constexpr absl::string_view kResourcePrefix = "dropoffs/";
constexpr std::int64_t kDefaultLifetimeSeconds = 24 * 3600;

sejf::v1::DropoffKind KindToProto(vault::DropoffTarget target) {
  return target == vault::DropoffTarget::kKey ? sejf::v1::DROPOFF_KIND_KEY
                                              : sejf::v1::DROPOFF_KIND_TOKEN;
}

sejf::v1::DropoffState StateToProto(vault::DropoffState state) {
  switch (state) {
    case vault::DropoffState::kPending:
      return sejf::v1::DROPOFF_STATE_PENDING;
    case vault::DropoffState::kUsed:
      return sejf::v1::DROPOFF_STATE_USED;
    case vault::DropoffState::kCancelled:
      return sejf::v1::DROPOFF_STATE_CANCELLED;
    case vault::DropoffState::kExpired:
      return sejf::v1::DROPOFF_STATE_EXPIRED;
    case vault::DropoffState::kLocked:
      return sejf::v1::DROPOFF_STATE_LOCKED;
  }
  return sejf::v1::DROPOFF_STATE_UNSPECIFIED;
}

void DropoffToProto(const vault::Dropoff& dropoff, sejf::v1::DropoffLink* out) {
  const vault::DropoffRecord& r = dropoff.record;
  out->set_name(absl::StrCat(kResourcePrefix, dropoff.id));
  out->set_kind(KindToProto(r.target));
  out->set_target_name(r.target_name);
  out->set_context(r.context);
  out->set_key_usage(r.key_usage);
  out->set_state(StateToProto(r.state));
  *out->mutable_create_time() = ToTimestamp(r.create_time);
  *out->mutable_expire_time() = ToTimestamp(r.expire_time);
  if (r.finish_time) *out->mutable_finish_time() = ToTimestamp(*r.finish_time);
  out->set_failed_attempts(r.attempts);
  out->set_created_by(r.created_by);
}

// What the policy decides a link's management by: its target credential in
// its context (none for a key link without one).
AccessTarget TargetOf(const vault::DropoffRecord& record, std::string resource,
                      std::string detail) {
  AccessTarget target;
  target.resource = std::move(resource);
  target.credential = record.target_name;
  if (!record.context.empty()) target.context = record.context;
  target.detail = std::move(detail);
  return target;
}

absl::Status NoListener() {
  return absl::FailedPreconditionError(
      "drop-off links need the drop-off listener: set [dropoff] listen in "
      "sejfd's configuration");
}

}  // namespace

grpc::Status DropoffService::CreateDropoff(
    grpc::ServerContext* context, const sejf::v1::CreateDropoffRequest* request,
    sejf::v1::CreateDropoffResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    const bool token = !request->token_name().empty();
    if (token == !request->key_name().empty()) {
      return absl::InvalidArgumentError(
          "give exactly one of token_name and key_name");
    }
    if (request->lifetime_seconds() < 0) {
      return absl::InvalidArgumentError(
          "lifetime_seconds must not be negative");
    }
    vault::DropoffRequest create;
    create.target =
        token ? vault::DropoffTarget::kToken : vault::DropoffTarget::kKey;
    create.target_name = token ? request->token_name() : request->key_name();
    create.context = request->context();
    create.key_usage = request->key_usage();
    create.created_by = call.caller().identity;
    create.lifetime = absl::Seconds(request->lifetime_seconds() == 0
                                        ? kDefaultLifetimeSeconds
                                        : request->lifetime_seconds());
    if (parts_.store != nullptr) {
      RETURN_IF_ERROR(parts_.store->CheckRequest(create));
    }
    vault::DropoffRecord planned{.target = create.target,
                                 .target_name = create.target_name,
                                 .context = create.context};
    RETURN_IF_ERROR(call.Authorize(
        Operation::kDropoffManage,
        TargetOf(planned, "",
                 absl::StrCat(token ? "token" : "key", " drop-off link"))));
    if (parts_.store == nullptr || parts_.import_key == nullptr ||
        parts_.base_url.empty()) {
      return NoListener();
    }
    absl::StatusOr<vault::Token> existing =
        token ? tokens_.Get(create.target_name)
              : absl::StatusOr<vault::Token>(absl::NotFoundError(""));
    if (existing.ok()) {
      return absl::AlreadyExistsError(
          absl::StrCat("token \"", create.target_name,
                       "\" already exists; a drop-off link makes a new token"));
    }
    if (existing.status().code() != absl::StatusCode::kNotFound) {
      return existing.status();
    }
    ASSIGN_OR_RETURN(std::string spki, parts_.import_key->PublicKey());
    ASSIGN_OR_RETURN(vault::NewDropoff made, parts_.store->Create(create));
    DropoffToProto(made.dropoff, response->mutable_dropoff());
    std::string url = absl::StrCat(parts_.base_url, "/d/", made.dropoff.id, "#",
                                   SecretView(made.secret));
    response->set_url(url);
    sodium_memzero(url.data(), url.size());
    response->set_import_key_fingerprint(ImportKeyFingerprint(spki));
    return absl::OkStatus();
  });
}

grpc::Status DropoffService::ListDropoffs(
    grpc::ServerContext* context, const sejf::v1::ListDropoffsRequest* request,
    sejf::v1::ListDropoffsResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    RETURN_IF_ERROR(call.Authorize(Operation::kDropoffManage));
    if (parts_.store == nullptr) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<vault::Dropoff> all, parts_.store->List());
    for (const vault::Dropoff& dropoff : all) {
      if (!call.IsAllowed(Operation::kDropoffManage,
                          TargetOf(dropoff.record, "", ""))) {
        continue;
      }
      DropoffToProto(dropoff, response->add_dropoffs());
    }
    return absl::OkStatus();
  });
}

grpc::Status DropoffService::CancelDropoff(
    grpc::ServerContext* context, const sejf::v1::CancelDropoffRequest* request,
    sejf::v1::CancelDropoffResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    absl::string_view id = request->name();
    if (!absl::ConsumePrefix(&id, kResourcePrefix) || !vault::IsDropoffId(id)) {
      return absl::InvalidArgumentError(
          "name: must be dropoffs/ and the link's id (16 hex digits), as "
          "sejf dropoff list shows");
    }
    const absl::Status missing = absl::NotFoundError(
        absl::StrCat("drop-off link ", request->name(), " not found"));
    // Authorized as a listing is before the link is read: a caller who
    // manages no links is refused whether or not it exists; to one who
    // manages some, a link that is not theirs answers as a missing one
    // (AuthorizeFound below), byte for byte.
    AccessTarget any;
    any.resource = request->name();
    if (!call.IsAllowed(Operation::kDropoffManage, any)) {
      return call.Authorize(Operation::kDropoffManage, std::move(any));
    }
    absl::StatusOr<vault::Dropoff> found =
        parts_.store == nullptr ? absl::StatusOr<vault::Dropoff>(missing)
                                : parts_.store->Get(id);
    if (!found.ok()) {
      if (found.status().code() != absl::StatusCode::kNotFound) {
        return found.status();
      }
      RETURN_IF_ERROR(call.Authorize(Operation::kDropoffManage, any));
      return missing;
    }
    RETURN_IF_ERROR(call.AuthorizeFound(
        Operation::kDropoffManage,
        TargetOf(found->record, request->name(), "cancel"), missing));
    ASSIGN_OR_RETURN(vault::Dropoff cancelled, parts_.store->Cancel(id));
    DropoffToProto(cancelled, response->mutable_dropoff());
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
