// KsefHttpApi's token endpoints (issue 14; ksef-protocol.md §8): POST
// /tokens, GET /tokens/{ref}, DELETE /tokens/{ref}, Bearer an access token.
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "broker/ksef_api/curl_transport.h"
#include "broker/ksef_api/ksef_http_api.h"
#include "broker/ksef_api/ksef_wire_tokens.h"

namespace sejf::broker {
namespace {

// The longest access token accepted (KSeF's JWTs are about 1–2 KiB).
constexpr std::size_t kMaxAccessToken = 16 * 1024;

// An access token goes into a header: printable ASCII, no spaces.
absl::Status CheckAccessToken(const SecretBytes& token) {
  bool printable = !token.empty() && token.size() <= kMaxAccessToken;
  for (std::uint8_t c : token) printable = printable && c > 0x20 && c < 0x7f;
  if (!printable) {
    return absl::InvalidArgumentError(
        "the access token is empty, too long or not a printable token (a "
        "KSeF JWT)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::monostate> NoBody(const SecretBytes&) {
  return std::monostate{};
}

}  // namespace

absl::StatusOr<GeneratedKsefToken> KsefHttpApi::GenerateToken(
    const SecretBytes& access_token, const KsefTokenRequest& request) {
  static constexpr Endpoint kEndpoint{
      "POST /tokens", Repeat::kMakesSomething,
      "KSeF may have minted a token whose answer never arrived (it is shown "
      "once): look for it with GET /tokens (sejf cannot use it) and revoke "
      "it in KSeF, then create the token again"};
  const std::string body = wire::GenerateTokenBody(request);
  absl::StatusOr<GeneratedKsefToken> generated =
      Run(kEndpoint,
          {.method = "POST",
           .url = Url("/tokens"),
           .body = body,
           .content_type = "application/json",
           .bearer = &access_token},
          &wire::ParseGeneratedToken, CheckAccessToken(access_token));
  return generated;
}

absl::StatusOr<KsefTokenStatus> KsefHttpApi::GetToken(
    const SecretBytes& access_token, absl::string_view reference_number) {
  static constexpr Endpoint kEndpoint{"GET /tokens/{referenceNumber}"};
  absl::Status precheck = wire::CheckTokenReference(reference_number);
  if (precheck.ok()) precheck = CheckAccessToken(access_token);
  return Run(kEndpoint,
             {.method = "GET",
              .url = Url(absl::StrCat("/tokens/", reference_number)),
              .bearer = &access_token},
             &wire::ParseTokenStatus, precheck,
             precheck.ok() ? reference_number : "");
}

absl::Status KsefHttpApi::RevokeToken(const SecretBytes& access_token,
                                      absl::string_view reference_number) {
  static constexpr Endpoint kEndpoint{"DELETE /tokens/{referenceNumber}",
                                      Repeat::kSameEffect};
  absl::Status precheck = wire::CheckTokenReference(reference_number);
  if (precheck.ok()) precheck = CheckAccessToken(access_token);
  return Run(kEndpoint,
             {.method = "DELETE",
              .url = Url(absl::StrCat("/tokens/", reference_number)),
              .bearer = &access_token},
             &NoBody, precheck, precheck.ok() ? reference_number : "")
      .status();
}

}  // namespace sejf::broker
