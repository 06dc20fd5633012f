#include "client/session_conversions.h"

#include <utility>

#include "client/common_conversions.h"
#include "client/ksef_conversions.h"

namespace sejf::client {
namespace {

constexpr std::pair<SessionState, v1::SessionState> kStates[] = {
    {SessionState::kActive, v1::SESSION_STATE_ACTIVE},
    {SessionState::kFailing, v1::SESSION_STATE_FAILING},
    {SessionState::kClosed, v1::SESSION_STATE_CLOSED},
};

}  // namespace

KsefSession FromProto(const v1::KsefSession& s) {
  return KsefSession{
      .name = s.name(),
      .credential = s.credential(),
      .context = s.context(),
      .environment = s.environment(),
      .allowed_ips = FromProto(s.allowed_ips()),
      .state = ConvertBack(kStates, s.state(), SessionState::kUnspecified),
      .reference_number = s.reference_number(),
      .access_token_expire_time = OptionalTime(s.has_access_token_expire_time(),
                                               s.access_token_expire_time()),
      .refresh_token_expire_time = OptionalTime(
          s.has_refresh_token_expire_time(), s.refresh_token_expire_time()),
      .last_refresh_time =
          OptionalTime(s.has_last_refresh_time(), s.last_refresh_time()),
      .last_error = s.last_error(),
      .create_time = FromProto(s.create_time()),
      .update_time = FromProto(s.update_time())};
}

v1::KsefSession ToProto(const KsefSession& s) {
  v1::KsefSession out;
  out.set_name(s.name);
  out.set_credential(s.credential);
  out.set_context(s.context);
  out.set_environment(s.environment);
  if (!s.allowed_ips.empty())
    *out.mutable_allowed_ips() = ToProto(s.allowed_ips);
  out.set_state(Convert(kStates, s.state, v1::SESSION_STATE_UNSPECIFIED));
  out.set_reference_number(s.reference_number);
  // Left unset when absent, as the server leaves them.
  if (s.access_token_expire_time.has_value()) {
    *out.mutable_access_token_expire_time() =
        ToProto(*s.access_token_expire_time);
  }
  if (s.refresh_token_expire_time.has_value()) {
    *out.mutable_refresh_token_expire_time() =
        ToProto(*s.refresh_token_expire_time);
  }
  if (s.last_refresh_time.has_value()) {
    *out.mutable_last_refresh_time() = ToProto(*s.last_refresh_time);
  }
  out.set_last_error(s.last_error);
  *out.mutable_create_time() = ToProto(s.create_time);
  *out.mutable_update_time() = ToProto(s.update_time);
  return out;
}

v1::OpenSessionRequest ToProto(const SessionOpening& opening) {
  v1::OpenSessionRequest out;
  out.set_session_id(opening.session_id);
  out.set_credential(opening.credential);
  out.set_context(opening.context);
  out.set_environment(opening.environment);
  if (!opening.allowed_ips.empty()) {
    *out.mutable_allowed_ips() = ToProto(opening.allowed_ips);
  }
  out.set_subject_identifier_type(ToProto(opening.subject_identifier_type));
  return out;
}

v1::ListSessionsRequest ToListSessionsRequest(const PageRequest& page) {
  v1::ListSessionsRequest out;
  SetPage(page, &out);
  return out;
}

Page<KsefSession> FromProto(const v1::ListSessionsResponse& page) {
  Page<KsefSession> out{.items = {}, .next_page_token = page.next_page_token()};
  out.items.reserve(page.sessions_size());
  for (const auto& s : page.sessions()) out.items.push_back(FromProto(s));
  return out;
}

v1::ListSessionsResponse ToProto(const std::vector<KsefSession>& sessions) {
  v1::ListSessionsResponse out;
  for (const auto& s : sessions) *out.add_sessions() = ToProto(s);
  return out;
}

v1::FetchMinistryCertificatesRequest ToProto(
    const MinistryCertificateFetch& fetch) {
  v1::FetchMinistryCertificatesRequest out;
  out.set_environment(fetch.environment);
  for (const std::string& pin : fetch.pin_fingerprints) {
    out.add_pin_fingerprints(pin);
  }
  return out;
}

std::vector<MinistryCertificate> FromProto(
    const v1::FetchMinistryCertificatesResponse& r) {
  std::vector<MinistryCertificate> out;
  out.reserve(r.certificates_size());
  for (const auto& c : r.certificates()) out.push_back(FromProto(c));
  return out;
}

AccessToken FromProto(const v1::GetAccessTokenResponse& r) {
  return AccessToken{.token = SecretFromView(r.access_token()),
                     .valid_until = FromProto(r.valid_until())};
}

v1::GetAccessTokenResponse ToProto(const AccessToken& token) {
  v1::GetAccessTokenResponse out;
  const absl::string_view view = SecretView(token.token);
  out.set_access_token(view.data(), view.size());
  *out.mutable_valid_until() = ToProto(token.valid_until);
  return out;
}

}  // namespace sejf::client
