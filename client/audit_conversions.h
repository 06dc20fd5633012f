// AuditLog messages ⇄ client audit types (client/audit_types.h). Internal
// to client/: callers use client/audit_api.h.
#ifndef SEJF_CLIENT_AUDIT_CONVERSIONS_H_
#define SEJF_CLIENT_AUDIT_CONVERSIONS_H_

#include <optional>
#include <vector>

#include "client/audit_types.h"
#include "sejf/v1/audit_log.pb.h"

namespace sejf::client {

AuditEvent FromProto(const v1::AuditEvent& event);
v1::AuditEvent ToProto(const AuditEvent& event);

v1::ListEventsRequest ToProto(const AuditFilter& filter,
                              const PageRequest& page);
Page<AuditEvent> FromProto(const v1::ListEventsResponse& page);
v1::ListEventsResponse ToProto(const std::vector<AuditEvent>& events);

v1::VerifyChainRequest ToProto(const std::optional<ChainHead>& expect);
ChainVerification FromProto(const v1::VerifyChainResponse& result);
v1::VerifyChainResponse ToProto(const ChainVerification& result);

}  // namespace sejf::client

#endif  // SEJF_CLIENT_AUDIT_CONVERSIONS_H_
