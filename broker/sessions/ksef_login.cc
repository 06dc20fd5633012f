#include "broker/sessions/ksef_login.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/sessions/ministry_list.h"
#include "broker/sessions/session_errors.h"
#include "common/ksef_context.h"
#include "common/status_context.h"
#include "common/status_macros.h"

namespace sejf::broker {
namespace {

// An INVALID_ARGUMENT from inside a login is not about the caller's input
// (validated before it started) but about what KSeF or the stored
// credential gave: FAILED_PRECONDITION with the same message, untagged.
absl::Status NotInput(absl::Status status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  return absl::FailedPreconditionError(status.message());
}

}  // namespace

absl::StatusOr<std::string> KsefLogin::TokenBody(
    const SessionRecord& record, const AuthChallenge& challenge) const {
  ASSIGN_OR_RETURN(vault::UsableToken usable,
                   deps_.tokens->OpenForUse(record.credential_name));
  if (usable.token.record.context != record.context) {
    return absl::NotFoundError(absl::StrCat("token \"", record.credential_name,
                                            "\" not found in context ",
                                            record.context));
  }
  ASSIGN_OR_RETURN(KsefContext context,
                   ParseKsefContext(record.context, "context"));
  signer::KsefTokenRequest request{.environment = record.environment,
                                   .challenge = challenge.challenge,
                                   .context = context,
                                   .timestamp_ms = challenge.timestamp_ms,
                                   .allowed_ips = record.allowed_ips};
  ASSIGN_OR_RETURN(signer::EncryptedKsefToken encrypted,
                   deps_.encryptor->Encrypt(usable.secret, request));
  return std::move(encrypted.request_json);
}

absl::Status KsefLogin::RefetchMinistryCertificates(
    KsefApi& api, CallRecorder& recorder, absl::string_view environment,
    absl::string_view why) const {
  // What KSeF published and the trust refused is not the caller's input.
  absl::Status imported =
      NotInput(FetchMinistryCertificateList(
                   api, recorder, *deps_.ministry_certificates, deps_.observer,
                   {.environment = std::string(environment),
                    .step = std::string(recorder.base().step),
                    .session = recorder.base().session,
                    .context = recorder.base().context,
                    .caller = recorder.base().caller})
                   .status());
  return WithContext(
      imported, absl::StrCat(why, "; storing the certificates KSeF lists now"));
}

absl::StatusOr<KsefLoginResult> KsefLogin::RunOnce(KsefApi& api,
                                                   CallRecorder& recorder,
                                                   const SessionRecord& record,
                                                   bool* refetch) const {
  ASSIGN_OR_RETURN(AuthChallenge challenge,
                   recorder.Call("POST /auth/challenge", 200, "",
                                 [&] { return api.Challenge(); }));
  AuthInit init;
  std::string key_certificate_sha256;
  if (record.credential_kind == SessionCredentialKind::kKey) {
    ASSIGN_OR_RETURN(KsefContext context,
                     ParseKsefContext(record.context, "context"));
    ASSIGN_OR_RETURN(signer::SignedAuthTokenRequest signed_request,
                     deps_.signer->Sign({.key_name = record.credential_name,
                                         .challenge = challenge.challenge,
                                         .context = context,
                                         .subject_type = record.subject_type,
                                         .allowed_ips = record.allowed_ips}));
    key_certificate_sha256 = signed_request.certificate_sha256_fingerprint;
    ASSIGN_OR_RETURN(init,
                     recorder.Call("POST /auth/xades-signature", 202, "", [&] {
                       return api.SubmitXadesSignature(signed_request.xml);
                     }));
  } else {
    ASSIGN_OR_RETURN(std::string body, TokenBody(record, challenge));
    absl::StatusOr<AuthInit> submitted =
        recorder.Call("POST /auth/ksef-token", 202, "",
                      [&] { return api.SubmitKsefToken(body); });
    if (!submitted.ok()) {
      *refetch = HasKsefCode(submitted.status(), 21470);
      return submitted.status();
    }
    init = *std::move(submitted);
  }
  const std::string& ref = init.reference_number;
  const absl::Time deadline = deps_.clock->Now() + options_.poll_timeout;
  for (;;) {
    ASSIGN_OR_RETURN(
        AuthOperationStatus status,
        recorder.Call("GET /auth/{referenceNumber}", 200, ref, [&] {
          return api.GetAuthStatus(init.authentication_token.token, ref);
        }));
    if (status.code == 200) break;
    if (status.code != 100) {
      return AuthStatusError(status.code, status.description, status.details,
                             ref);
    }
    const absl::Time now = deps_.clock->Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("KSeF authentication ", ref, " still in progress after ",
                       absl::FormatDuration(options_.poll_timeout)));
    }
    options_.sleep(std::min(options_.poll_interval, deadline - now));
  }
  ASSIGN_OR_RETURN(AuthTokens tokens,
                   recorder.Call("POST /auth/token/redeem", 200, ref, [&] {
                     return api.Redeem(init.authentication_token.token);
                   }));
  return KsefLoginResult{
      .reference_number = ref,
      .key_certificate_sha256 = std::move(key_certificate_sha256),
      .tokens = std::move(tokens)};
}

absl::StatusOr<KsefLoginResult> KsefLogin::Run(
    KsefApi& api, absl::string_view name, const SessionRecord& record,
    absl::string_view step, const SessionCaller& caller) const {
  CallRecorder recorder = CallRecorder::ForSession(deps_.observer, deps_.clock,
                                                   name, record, step, caller);
  auto fetch_recorder = [&] {
    return CallRecorder::ForSession(deps_.observer, deps_.clock, name, record,
                                    "mfcert-fetch", caller);
  };
  // A token login in an environment with no Ministry certificate stored
  // yet fetches them first (the same trust rules as an import).
  if (record.credential_kind == SessionCredentialKind::kToken) {
    ASSIGN_OR_RETURN(
        signer::MinistryCertificatePage stored,
        deps_.ministry_certificates->List(record.environment, /*page_size=*/1));
    if (stored.certificates.empty()) {
      CallRecorder first_fetch = fetch_recorder();
      RETURN_IF_ERROR(RefetchMinistryCertificates(
          api, first_fetch, record.environment,
          absl::StrCat("no Ministry certificate stored for environment ",
                       record.environment)));
    }
  }
  bool refetched = false;
  bool retried = false;
  for (;;) {
    bool refetch = false;
    absl::StatusOr<KsefLoginResult> login =
        RunOnce(api, recorder, record, &refetch);
    if (login.ok()) return login;
    if (refetch && !refetched) {
      refetched = true;
      CallRecorder refetch_recorder = fetch_recorder();
      RETURN_IF_ERROR(RefetchMinistryCertificates(
          api, refetch_recorder, record.environment,
          "KSeF no longer knows the Ministry key (21470)"));
      continue;
    }
    if (KsefAuthStatusOf(login.status()) == 550 && !retried) {
      retried = true;
      continue;
    }
    return NotInput(login.status());
  }
}

}  // namespace sejf::broker
