#include "server/audit_log_service.h"

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "server/common_conversions.h"

namespace sejf::server {
namespace {

void EventToProto(const vault::AuditEvent& e, sejf::v1::AuditEvent* out) {
  out->set_sequence(e.sequence);
  *out->mutable_time() = ToTimestamp(e.time);
  out->set_request_id(e.request_id);
  out->set_identity(e.identity);
  out->set_operation(e.operation);
  out->set_method(e.method);
  out->set_resource(e.resource);
  out->set_context(e.context);
  out->set_outcome(e.outcome);
  out->set_hash(absl::BytesToHexString(e.hash));
  out->set_detail(e.detail);
  out->set_rule(e.rule);
}

// The credential an event is about: the name in its resource "keys/{name}"
// or "tokens/{name}"; nullopt for any other resource.
std::optional<absl::string_view> CredentialOf(const vault::AuditEvent& e) {
  absl::string_view resource = e.resource;
  if (!absl::ConsumePrefix(&resource, "keys/") &&
      !absl::ConsumePrefix(&resource, "tokens/")) {
    return std::nullopt;
  }
  if (resource.empty() || absl::StrContains(resource, '/')) {
    return std::nullopt;
  }
  return resource;
}

// Whether a caller whose audit.read is scoped may see `e`: the event names
// a context or a credential, and the caller's rules allow audit.read on
// them. An event with neither concerns the whole vault.
bool InCallersScope(const RpcCall& call, const vault::AuditEvent& e) {
  std::optional<absl::string_view> credential = CredentialOf(e);
  if (e.context.empty() && !credential) return false;
  AccessTarget target;
  if (!e.context.empty()) target.context = e.context;
  if (credential) target.credential = std::string(*credential);
  return call.IsAllowed(Operation::kAuditRead, target);
}

AccessTarget WholeLog() {
  AccessTarget target;
  target.whole_vault = true;
  return target;
}

// expect_sequence/expect_hash as verify options; INVALID_ARGUMENT for one
// without the other or a malformed hash.
absl::StatusOr<vault::AuditVerifyOptions> VerifyOptionsFromRequest(
    const sejf::v1::VerifyChainRequest& request) {
  vault::AuditVerifyOptions options;
  if (request.expect_sequence() == 0 && request.expect_hash().empty()) {
    return options;
  }
  // INVALID_ARGUMENT (naming the form, not echoing the input) when bad.
  ASSIGN_OR_RETURN(options.expect,
                   vault::ParseAuditPosition(absl::StrCat(
                       request.expect_sequence(), ":", request.expect_hash())));
  return options;
}

}  // namespace

grpc::Status AuditLogService::ListEvents(
    grpc::ServerContext* context, const sejf::v1::ListEventsRequest* request,
    sejf::v1::ListEventsResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    RETURN_IF_ERROR(call.Authorize(Operation::kAuditRead));
    vault::AuditFilter filter;
    if (request->has_start_time()) {
      filter.start_time = FromTimestamp(request->start_time());
    }
    if (request->has_end_time()) {
      filter.end_time = FromTimestamp(request->end_time());
    }
    filter.identity = request->identity();
    filter.operation = request->operation();
    filter.outcome = request->outcome();
    ASSIGN_OR_RETURN(
        vault::AuditPage page,
        env_.audit->List(filter, request->page_size(), request->page_token()));
    // Every event for a whole-vault grant; otherwise only
    // the caller's own contexts and credentials.
    const bool reads_all = call.IsAllowed(Operation::kAuditRead, WholeLog());
    for (const vault::AuditEvent& e : page.events) {
      if (reads_all || InCallersScope(call, e)) {
        EventToProto(e, response->add_events());
      }
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status AuditLogService::VerifyChain(
    grpc::ServerContext* context, const sejf::v1::VerifyChainRequest* request,
    sejf::v1::VerifyChainResponse* response) {
  return RunRpc(env_, context, *request, [&](RpcCall& call) -> absl::Status {
    // The whole chain: counts and head of every tenant.
    RETURN_IF_ERROR(call.Authorize(Operation::kAuditRead, WholeLog()));
    ASSIGN_OR_RETURN(vault::AuditVerifyOptions options,
                     VerifyOptionsFromRequest(*request));
    ASSIGN_OR_RETURN(vault::AuditVerifyResult result,
                     env_.audit->Verify(options));
    response->set_ok(result.ok);
    response->set_events_checked(result.events_checked);
    response->set_checkpoints_checked(result.checkpoints_checked);
    response->set_first_bad_sequence(result.first_bad_sequence);
    response->set_message(result.message);
    response->set_head_sequence(result.head_sequence);
    response->set_head_hash(absl::BytesToHexString(result.head_hash));
    response->set_anchored(result.anchor.has_value());
    if (result.anchor) {
      response->set_anchored_sequence(result.anchor->sequence);
    }
    return absl::OkStatus();
  });
}

}  // namespace sejf::server
