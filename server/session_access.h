// What the handlers that act on or through a standing KSeF session share
// (KsefSessionsService, and KeyCustodyService's EnrollKey, RenewKey,
// RevokeKey): the session as a policy target, its "not found" answer, the
// caller as the broker records it, and the authorization of a call made
// through a session.
#ifndef SEJF_SERVER_SESSION_ACCESS_H_
#define SEJF_SERVER_SESSION_ACCESS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/sessions/ksef_sessions.h"
#include "server/credential_access.h"
#include "server/policy/operations.h"
#include "server/rpc_call.h"

namespace sejf::server {

// "sessions/{name}" as a policy target, in `context` when known.
AccessTarget SessionTarget(const std::string& name,
                           std::optional<std::string> context = std::nullopt,
                           std::string detail = "");

// NOT_FOUND: "session \"NAME\" not found".
absl::Status SessionNotFound(absl::string_view name);

// The caller as the broker records it with its KSeF calls.
broker::SessionCaller CallerOf(const RpcCall& call);

// Authorizes `operation` on session `name` for a call made through it: by
// name before the lookup (so the answer to a caller no rule covers does
// not depend on whether it exists), then in the session's context. A
// session the caller may not use is answered as a missing one (and
// recorded as the denial it is). Writes no intent event: the handler's
// Authorize of what it acts on does. The session.
absl::StatusOr<broker::SessionInfo> AuthorizeThroughSession(
    RpcCall& call, Operation operation, broker::KsefSessions& sessions,
    const std::string& name);

}  // namespace sejf::server

#endif  // SEJF_SERVER_SESSION_ACCESS_H_
