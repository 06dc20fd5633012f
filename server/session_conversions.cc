#include "server/session_conversions.h"

#include "absl/strings/str_cat.h"
#include "server/common_conversions.h"
#include "server/ksef_conversions.h"

namespace sejf::server {

sejf::v1::SessionState SessionStateToProto(broker::SessionState state) {
  switch (state) {
    case broker::SessionState::kActive:
      return sejf::v1::SESSION_STATE_ACTIVE;
    case broker::SessionState::kFailing:
      return sejf::v1::SESSION_STATE_FAILING;
    case broker::SessionState::kClosed:
      return sejf::v1::SESSION_STATE_CLOSED;
  }
  return sejf::v1::SESSION_STATE_UNSPECIFIED;
}

void SessionToProto(const broker::SessionInfo& session,
                    sejf::v1::KsefSession* out) {
  out->set_name(absl::StrCat("sessions/", session.name));
  out->set_credential(absl::StrCat(
      session.credential_kind == broker::SessionCredentialKind::kKey
          ? "keys/"
          : "tokens/",
      session.credential_name));
  out->set_context(session.context);
  out->set_environment(session.environment);
  AllowedIpsToProto(session.allowed_ips, out->mutable_allowed_ips());
  out->set_state(SessionStateToProto(session.state));
  out->set_reference_number(session.reference_number);
  if (session.access_valid_until) {
    *out->mutable_access_token_expire_time() =
        ToTimestamp(*session.access_valid_until);
  }
  if (session.refresh_valid_until) {
    *out->mutable_refresh_token_expire_time() =
        ToTimestamp(*session.refresh_valid_until);
  }
  if (session.last_refresh_time) {
    *out->mutable_last_refresh_time() = ToTimestamp(*session.last_refresh_time);
  }
  if (session.last_error) {
    out->set_last_error(
        absl::StrCat(session.last_error->code, ": ", session.last_error->text));
  }
  *out->mutable_create_time() = ToTimestamp(session.create_time);
  *out->mutable_update_time() = ToTimestamp(session.update_time);
}

}  // namespace sejf::server
