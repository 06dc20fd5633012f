// broker::SessionInfo → sejf.v1.KsefSession (never a token: SessionInfo has
// none).
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_SERVER_SESSION_CONVERSIONS_H_
#define SEJF_SERVER_SESSION_CONVERSIONS_H_

#include "broker/sessions/ksef_sessions.h"
#include "sejf/v1/ksef_sessions.pb.h"

namespace sejf::server {

sejf::v1::SessionState SessionStateToProto(broker::SessionState state);
void SessionToProto(const broker::SessionInfo& session,
                    sejf::v1::KsefSession* out);

}  // namespace sejf::server

#endif  // SEJF_SERVER_SESSION_CONVERSIONS_H_
