#include "server/session_access.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sejf::server {

AccessTarget SessionTarget(const std::string& name,
                           std::optional<std::string> context,
                           std::string detail) {
  AccessTarget target;
  target.resource = absl::StrCat("sessions/", name);
  target.credential = name;
  target.context = std::move(context);
  target.detail = std::move(detail);
  return target;
}

absl::Status SessionNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("session \"", name, "\" not found"));
}

broker::SessionCaller CallerOf(const RpcCall& call) {
  return {.request_id = call.request_id(), .identity = call.caller().identity};
}

absl::StatusOr<broker::SessionInfo> AuthorizeThroughSession(
    RpcCall& call, Operation operation, broker::KsefSessions& sessions,
    const std::string& name) {
  RETURN_IF_ERROR(call.AuthorizeName(operation, SessionTarget(name)));
  absl::StatusOr<broker::SessionInfo> session = sessions.Get(name);
  if (session.status().code() == absl::StatusCode::kNotFound) {
    return SessionNotFound(name);
  }
  RETURN_IF_ERROR(session.status());
  if (!call.IsAllowed(operation, SessionTarget(name, session->context))) {
    return call.AuthorizeFound(operation, SessionTarget(name, session->context),
                               SessionNotFound(name));
  }
  return session;
}

}  // namespace sejf::server
