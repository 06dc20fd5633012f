#include "client/audit_conversions.h"

#include "client/common_conversions.h"

namespace sejf::client {

AuditEvent FromProto(const v1::AuditEvent& e) {
  return AuditEvent{.sequence = e.sequence(),
                    .time = FromProto(e.time()),
                    .request_id = e.request_id(),
                    .identity = e.identity(),
                    .operation = e.operation(),
                    .method = e.method(),
                    .resource = e.resource(),
                    .context = e.context(),
                    .outcome = e.outcome(),
                    .hash = e.hash(),
                    .detail = e.detail(),
                    .rule = e.rule()};
}

v1::AuditEvent ToProto(const AuditEvent& e) {
  v1::AuditEvent out;
  out.set_sequence(e.sequence);
  *out.mutable_time() = ToProto(e.time);
  out.set_request_id(e.request_id);
  out.set_identity(e.identity);
  out.set_operation(e.operation);
  out.set_method(e.method);
  out.set_resource(e.resource);
  out.set_context(e.context);
  out.set_outcome(e.outcome);
  out.set_hash(e.hash);
  out.set_detail(e.detail);
  out.set_rule(e.rule);
  return out;
}

v1::ListEventsRequest ToProto(const AuditFilter& filter,
                              const PageRequest& page) {
  v1::ListEventsRequest out;
  SetPage(page, &out);
  if (filter.start_time.has_value()) {
    *out.mutable_start_time() = ToProto(*filter.start_time);
  }
  if (filter.end_time.has_value()) {
    *out.mutable_end_time() = ToProto(*filter.end_time);
  }
  out.set_identity(filter.identity);
  out.set_operation(filter.operation);
  out.set_outcome(filter.outcome);
  return out;
}

Page<AuditEvent> FromProto(const v1::ListEventsResponse& page) {
  Page<AuditEvent> out{.items = {}, .next_page_token = page.next_page_token()};
  out.items.reserve(page.events_size());
  for (const v1::AuditEvent& e : page.events()) {
    out.items.push_back(FromProto(e));
  }
  return out;
}

v1::ListEventsResponse ToProto(const std::vector<AuditEvent>& events) {
  v1::ListEventsResponse out;
  for (const AuditEvent& e : events) *out.add_events() = ToProto(e);
  return out;
}

v1::VerifyChainRequest ToProto(const std::optional<ChainHead>& expect) {
  v1::VerifyChainRequest out;
  if (expect.has_value()) {
    out.set_expect_sequence(expect->sequence);
    out.set_expect_hash(expect->hash);
  }
  return out;
}

ChainVerification FromProto(const v1::VerifyChainResponse& r) {
  return ChainVerification{
      .ok = r.ok(),
      .events_checked = r.events_checked(),
      .checkpoints_checked = r.checkpoints_checked(),
      .first_bad_sequence = r.first_bad_sequence(),
      .message = r.message(),
      .head = {.sequence = r.head_sequence(), .hash = r.head_hash()},
      .anchored = r.anchored(),
      .anchored_sequence = r.anchored_sequence()};
}

v1::VerifyChainResponse ToProto(const ChainVerification& r) {
  v1::VerifyChainResponse out;
  out.set_ok(r.ok);
  out.set_events_checked(r.events_checked);
  out.set_checkpoints_checked(r.checkpoints_checked);
  out.set_first_bad_sequence(r.first_bad_sequence);
  out.set_message(r.message);
  out.set_head_sequence(r.head.sequence);
  out.set_head_hash(r.head.hash);
  out.set_anchored(r.anchored);
  out.set_anchored_sequence(r.anchored_sequence);
  return out;
}

}  // namespace sejf::client
