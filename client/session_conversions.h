// KsefSessions messages ⇄ client session types (client/session_types.h).
// Internal to client/: callers use client/sessions_api.h.
#ifndef SEJF_CLIENT_SESSION_CONVERSIONS_H_
#define SEJF_CLIENT_SESSION_CONVERSIONS_H_

#include <string>
#include <vector>

#include "client/common_types.h"
#include "client/session_types.h"
#include "sejf/v1/ksef_sessions.pb.h"

namespace sejf::client {

KsefSession FromProto(const v1::KsefSession& s);
v1::KsefSession ToProto(const KsefSession& s);
v1::OpenSessionRequest ToProto(const SessionOpening& opening);
v1::ListSessionsRequest ToListSessionsRequest(const PageRequest& page);
Page<KsefSession> FromProto(const v1::ListSessionsResponse& page);
v1::ListSessionsResponse ToProto(const std::vector<KsefSession>& sessions);
v1::FetchMinistryCertificatesRequest ToProto(
    const MinistryCertificateFetch& fetch);
std::vector<MinistryCertificate> FromProto(
    const v1::FetchMinistryCertificatesResponse& r);
// Copies the token into wiped memory; the caller wipes the response.
AccessToken FromProto(const v1::GetAccessTokenResponse& r);
// With a copy of the token: the caller wipes the message's access_token.
v1::GetAccessTokenResponse ToProto(const AccessToken& token);

}  // namespace sejf::client

#endif  // SEJF_CLIENT_SESSION_CONVERSIONS_H_
