#include "broker/ksef_api/ksef_http_api.h"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "broker/ksef_api/curl_transport.h"
#include "broker/ksef_api/ksef_api_url.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/ksef_api/ksef_wire.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/pem_blocks.h"
#include "common/status_macros.h"

namespace sejf::broker {
namespace {

// What a lost answer of an authentication's submission means.
constexpr absl::string_view kAuthenticationLost =
    "KSeF may have started an authentication whose answer never arrived (it "
    "expires unused): start a new authentication from the challenge";

// The longest bearer accepted (KSeF's JWTs are about 1–2 KiB).
constexpr std::size_t kMaxBearer = 16 * 1024;

// A bearer goes into a header: printable ASCII, no spaces.
absl::Status CheckBearer(const SecretBytes& bearer, absl::string_view what) {
  bool printable = !bearer.empty() && bearer.size() <= kMaxBearer;
  for (std::uint8_t c : bearer) printable = printable && c > 0x20 && c < 0x7f;
  if (!printable) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the ", what,
        " is empty, too long or not a printable token (a KSeF JWT)"));
  }
  return absl::OkStatus();
}

// "20250514-AU-2DFC46C000-3AC6D5877F-D4": 36 letters, digits and '-'.
absl::Status CheckReferenceNumber(absl::string_view reference) {
  bool ok = reference.size() == 36;
  for (char c : reference) ok = ok && (absl::ascii_isalnum(c) || c == '-');
  if (!ok) {
    return absl::InvalidArgumentError(
        "reference number must be 36 letters, digits and '-' (as KSeF "
        "returned it, e.g. 20250514-AU-2DFC46C000-3AC6D5877F-D4)");
  }
  return absl::OkStatus();
}

std::string Seconds(absl::Duration d) { return absl::FormatDuration(d); }

// The system bundle and the extra anchors, for CURLOPT_CAINFO_BLOB.
absl::StatusOr<std::string> TrustAnchors(const KsefHttpApiSettings& settings) {
  if (settings.ca_file.empty()) return std::string();
  absl::StatusOr<std::string> extra = ReadFile(settings.ca_file);
  if (!extra.ok()) {
    return absl::Status(extra.status().code(),
                        absl::StrCat("ca_file \"", settings.ca_file,
                                     "\": ", extra.status().message()));
  }
  absl::StatusOr<std::vector<PemBlock>> blocks = ReadPemBlocks(*extra);
  bool has_certificate = false;
  if (blocks.ok()) {
    for (const PemBlock& block : *blocks) {
      has_certificate = has_certificate || block.name == "CERTIFICATE";
    }
  }
  if (!has_certificate) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ca_file \"", settings.ca_file,
        "\" holds no PEM CERTIFICATE block (it must hold the CA "
        "certificates the API's TLS certificate chains to)",
        blocks.ok() ? "" : absl::StrCat(": ", blocks.status().message())));
  }
  std::string system_file = settings.system_ca_file.empty()
                                ? CurlDefaultCaBundle()
                                : settings.system_ca_file;
  std::string pem;
  if (!system_file.empty() && PathExists(system_file)) {
    ASSIGN_OR_RETURN(pem, ReadFile(system_file));
    pem += "\n";
  }
  pem += *extra;
  return pem;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KsefHttpApi>> KsefHttpApi::Create(
    KsefHttpApiSettings settings, KsefCallObserver observer) {
  absl::StatusOr<std::string> url = NormalizeKsefApiUrl(settings.base_url);
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("KSeF environment ", settings.environment, ": API URL \"",
                     settings.base_url, "\" ", url.status().message()));
  }
  settings.base_url = *std::move(url);
  if (settings.connect_timeout <= absl::ZeroDuration() ||
      settings.timeout <= absl::ZeroDuration() ||
      settings.backoff_base <= absl::ZeroDuration() ||
      settings.backoff_cap < settings.backoff_base ||
      settings.max_retry_after < absl::ZeroDuration() ||
      settings.max_attempts < 1 || settings.max_requests_per_second < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KSeF environment ", settings.environment,
        ": timeouts and backoff must be positive (backoff cap ≥ base), "
        "max attempts at least 1 and the request rate not negative"));
  }
  absl::StatusOr<std::string> anchors = TrustAnchors(settings);
  if (!anchors.ok()) {
    return absl::Status(anchors.status().code(),
                        absl::StrCat("KSeF environment ", settings.environment,
                                     ": ", anchors.status().message()));
  }
  CurlTransportOptions options;
  options.ca_pem = *std::move(anchors);
  options.connect_timeout = settings.connect_timeout;
  options.timeout = settings.timeout;
  auto transport = std::make_unique<CurlTransport>(std::move(options));
  return std::unique_ptr<KsefHttpApi>(new KsefHttpApi(
      std::move(settings), std::move(observer), std::move(transport)));
}

KsefHttpApi::KsefHttpApi(KsefHttpApiSettings settings,
                         KsefCallObserver observer,
                         std::unique_ptr<CurlTransport> transport)
    : settings_(std::move(settings)),
      observer_(std::move(observer)),
      transport_(std::move(transport)),
      pacer_(settings_.max_requests_per_second, settings_.timeout,
             &SystemClock::Get(), settings_.sleep) {}

KsefHttpApi::~KsefHttpApi() = default;

std::string KsefHttpApi::Url(absl::string_view path) const {
  return absl::StrCat(settings_.base_url, path);
}

absl::Duration KsefHttpApi::Backoff(int attempt) const {
  absl::Duration delay = settings_.backoff_base;
  for (int i = 1; i < attempt && delay < settings_.backoff_cap; ++i) delay *= 2;
  delay = std::min(delay, settings_.backoff_cap);
  thread_local absl::BitGen gen;
  std::int64_t max_us = absl::ToInt64Microseconds(delay);
  return absl::Microseconds(
      absl::Uniform(absl::IntervalClosed, gen, max_us / 2, max_us));
}

void KsefHttpApi::Sleep(absl::Duration duration) const {
  if (settings_.sleep) {
    settings_.sleep(duration);
  } else {
    absl::SleepFor(duration);
  }
}

absl::Status KsefHttpApi::Error(absl::StatusCode code, const Endpoint& endpoint,
                                absl::string_view text, const KsefError& error,
                                const SecretBytes* bearer) const {
  std::string message = absl::StrCat("KSeF ", settings_.environment, " ",
                                     endpoint.name, ": ", text);
  // KSeF's words come from the network: never let them carry our bearer.
  if (bearer != nullptr && bearer->size() >= 8) {
    absl::StrReplaceAll({{SecretView(*bearer), "[bearer token]"}}, &message);
  }
  return WithKsefError(absl::Status(code, message), error);
}

absl::Status KsefHttpApi::Malformed(const Endpoint& endpoint,
                                    const absl::Status& parse,
                                    int http_status) const {
  const bool makes = endpoint.repeat == Repeat::kMakesSomething;
  return Error(
      absl::StatusCode::kInternal, endpoint,
      absl::StrCat("the answer (HTTP ", http_status,
                   ") does not have the documented shape: ", parse.message(),
                   makes ? absl::StrCat("; ", endpoint.lost_answer) : ""),
      KsefError{.http_status = http_status, .outcome_unknown = makes}, nullptr);
}

absl::StatusOr<HttpAnswer> KsefHttpApi::Send(const Endpoint& endpoint,
                                             const HttpRequest& original,
                                             KsefCall& call) {
  const bool makes = endpoint.repeat == Repeat::kMakesSomething;
  // A request that makes something travels alone: libcurl never resends it
  // on its own after a reused connection died.
  HttpRequest request = original;
  request.fresh_connection = request.fresh_connection || makes;
  // Whether an earlier attempt may have been acted on without its answer
  // reaching us.
  bool earlier_unanswered = false;
  const SecretBytes* bearer = request.bearer;
  for (int attempt = 1;; ++attempt) {
    call.attempts = attempt;
    if (absl::Status paced = pacer_.Acquire(); !paced.ok()) {
      return Error(
          absl::StatusCode::kResourceExhausted, endpoint, paced.message(),
          KsefError{.http_status = 0, .retry_after = settings_.timeout},
          nullptr);
    }
    HttpExchange exchange = transport_->Exchange(request);
    const bool last = attempt >= settings_.max_attempts;
    if (!exchange.answer.has_value()) {
      call.http_status = 0;
      KsefError error;
      if (exchange.tls_refused) {
        return Error(
            absl::StatusCode::kUnavailable, endpoint,
            absl::StrCat(
                "TLS refused: the server's certificate is not trusted (by the "
                "system store",
                settings_.ca_file.empty()
                    ? ""
                    : absl::StrCat(" or ca_file \"", settings_.ca_file, "\""),
                "): ", exchange.error),
            error, bearer);
      }
      if (exchange.too_large) {
        error.outcome_unknown = makes;
        return Error(
            absl::StatusCode::kInternal, endpoint,
            absl::StrCat("the answer is larger than any KSeF sends (4 MiB)",
                         makes ? absl::StrCat("; ", endpoint.lost_answer) : ""),
            error, bearer);
      }
      std::string why =
          exchange.timed_out
              ? absl::StrCat("timed out (", Seconds(settings_.timeout),
                             " per attempt): ", exchange.error)
              : exchange.error;
      if (exchange.may_have_been_sent && makes) {
        error.outcome_unknown = true;
        return Error(absl::StatusCode::kUnavailable, endpoint,
                     absl::StrCat("the request was sent but its answer was "
                                  "lost (",
                                  why, "), so it is not sent again; ",
                                  endpoint.lost_answer),
                     error, bearer);
      }
      if (last) {
        return Error(absl::StatusCode::kUnavailable, endpoint,
                     absl::StrCat("no answer after ", attempt, " attempt",
                                  attempt == 1 ? "" : "s", ": ", why),
                     error, bearer);
      }
      earlier_unanswered = earlier_unanswered || exchange.may_have_been_sent;
      Sleep(Backoff(attempt));
      continue;
    }

    HttpAnswer& answer = *exchange.answer;
    call.http_status = answer.status;
    for (std::string& warning : answer.system_warnings) {
      call.system_warnings.push_back(std::move(warning));
    }
    answer.system_warnings.clear();
    if (answer.status >= 200 && answer.status < 300) {
      call.exception_codes.clear();
      return std::move(answer);
    }
    wire::ErrorBody body = wire::ParseErrorBody(answer.body);
    call.exception_codes = body.codes;
    KsefError error{answer.status, body.codes, std::nullopt};
    std::string said =
        absl::StrCat("HTTP ", answer.status,
                     body.text.empty() ? " (no KSeF error body)"
                                       : absl::StrCat(": ", body.text));

    std::optional<absl::Duration> retry_after =
        wire::ParseRetryAfter(answer.retry_after.value_or(""));
    if (answer.status == 429) {
      error.retry_after = retry_after;
      bool wait_allowed =
          !retry_after.has_value() || *retry_after <= settings_.max_retry_after;
      if (!last && wait_allowed) {
        Sleep(retry_after.has_value() ? *retry_after : Backoff(attempt));
        continue;
      }
      if (!error.retry_after.has_value()) error.retry_after = Backoff(attempt);
      return Error(absl::StatusCode::kResourceExhausted, endpoint,
                   absl::StrCat(said, "; rate limited after ", attempt,
                                " attempt", attempt == 1 ? "" : "s",
                                ", retry after ", Seconds(*error.retry_after)),
                   error, bearer);
    }
    // 503 with Retry-After: KSeF did not act on the request and says when
    // to come back; any endpoint may be sent again then.
    if (answer.status == 503 && retry_after.has_value()) {
      error.retry_after = retry_after;
      if (!last && *retry_after <= settings_.max_retry_after) {
        Sleep(*retry_after);
        continue;
      }
      if (makes) {
        return Error(absl::StatusCode::kUnavailable, endpoint,
                     absl::StrCat(said, "; KSeF did not take the request (",
                                  attempt, " attempt", attempt == 1 ? "" : "s",
                                  "), retry after ", Seconds(*retry_after)),
                     error, bearer);
      }
    }
    if (answer.status >= 500) {
      if (makes) {
        error.outcome_unknown = true;
        return Error(absl::StatusCode::kUnavailable, endpoint,
                     absl::StrCat(said,
                                  "; KSeF may have acted on the request "
                                  "before failing, so it is not sent again; ",
                                  endpoint.lost_answer),
                     error, bearer);
      }
      if (!last) {
        earlier_unanswered = true;
        Sleep(Backoff(attempt));
        continue;
      }
      return Error(absl::StatusCode::kUnavailable, endpoint,
                   absl::StrCat(said, " after ", attempt, " attempt",
                                attempt == 1 ? "" : "s"),
                   error, bearer);
    }
    if (earlier_unanswered && endpoint.repeat == Repeat::kSameEffect) {
      return Error(
          absl::StatusCode::kUnavailable, endpoint,
          absl::StrCat(said,
                       "; an earlier attempt got no answer and KSeF may have "
                       "acted on it, which this answer may reflect: check "
                       "the outcome, or try again"),
          error, bearer);
    }
    if (answer.status == 401 || answer.status == 403) {
      return Error(absl::StatusCode::kPermissionDenied, endpoint, said, error,
                   bearer);
    }
    if (answer.status >= 400) {
      return Error(absl::StatusCode::kFailedPrecondition, endpoint, said, error,
                   bearer);
    }
    return Error(absl::StatusCode::kInternal, endpoint,
                 absl::StrCat("unexpected HTTP ", answer.status), error,
                 bearer);
  }
}

void KsefHttpApi::Report(KsefCall& call, absl::Time start,
                         const absl::Status& status) {
  call.duration = absl::Now() - start;
  call.status = status;
  call.environment = settings_.environment;
  if (observer_) observer_(call);
}

template <typename T>
absl::StatusOr<T> KsefHttpApi::Run(
    const Endpoint& endpoint, const HttpRequest& request,
    absl::StatusOr<T> (*parse)(const SecretBytes&), absl::Status precheck,
    absl::string_view reference_number) {
  KsefCall call;
  call.endpoint = std::string(endpoint.name);
  call.reference_number = std::string(reference_number);
  absl::Time start = absl::Now();
  absl::StatusOr<T> result = [&]() -> absl::StatusOr<T> {
    if (!precheck.ok()) {
      return Error(absl::StatusCode::kInvalidArgument, endpoint,
                   precheck.message(), {}, nullptr);
    }
    ASSIGN_OR_RETURN(HttpAnswer answer, Send(endpoint, request, call));
    absl::StatusOr<T> parsed = parse(answer.body);
    if (!parsed.ok())
      return Malformed(endpoint, parsed.status(), answer.status);
    return parsed;
  }();
  if constexpr (std::is_same_v<T, AuthInit>) {
    if (result.ok()) call.reference_number = result->reference_number;
  }
  if constexpr (std::is_same_v<T, GeneratedKsefToken>) {  // issue 14
    if (result.ok()) call.reference_number = result->reference_number;
  }
  Report(call, start, result.status());
  return result;
}

absl::StatusOr<AuthChallenge> KsefHttpApi::Challenge() {
  static constexpr Endpoint kEndpoint{"POST /auth/challenge"};
  return Run(kEndpoint, {.method = "POST", .url = Url("/auth/challenge")},
             &wire::ParseChallenge);
}

absl::StatusOr<AuthInit> KsefHttpApi::SubmitXadesSignature(
    absl::string_view signed_xml) {
  static constexpr Endpoint kEndpoint{"POST /auth/xades-signature",
                                      Repeat::kMakesSomething,
                                      kAuthenticationLost};
  return Run(kEndpoint,
             {.method = "POST",
              .url = Url("/auth/xades-signature"),
              .body = signed_xml,
              .content_type = "application/xml"},
             &wire::ParseAuthInit,
             signed_xml.empty()
                 ? absl::InvalidArgumentError("the signed document is empty")
                 : absl::OkStatus());
}

absl::StatusOr<AuthInit> KsefHttpApi::SubmitKsefToken(
    absl::string_view request_json) {
  static constexpr Endpoint kEndpoint{
      "POST /auth/ksef-token", Repeat::kMakesSomething, kAuthenticationLost};
  return Run(kEndpoint,
             {.method = "POST",
              .url = Url("/auth/ksef-token"),
              .body = request_json,
              .content_type = "application/json"},
             &wire::ParseAuthInit,
             request_json.empty()
                 ? absl::InvalidArgumentError("the request body is empty")
                 : absl::OkStatus());
}

absl::StatusOr<AuthOperationStatus> KsefHttpApi::GetAuthStatus(
    const SecretBytes& authentication_token,
    absl::string_view reference_number) {
  static constexpr Endpoint kEndpoint{"GET /auth/{referenceNumber}"};
  absl::Status precheck = CheckReferenceNumber(reference_number);
  if (precheck.ok()) {
    precheck = CheckBearer(authentication_token, "authentication token");
  }
  return Run(kEndpoint,
             {.method = "GET",
              .url = Url(absl::StrCat("/auth/", reference_number)),
              .bearer = &authentication_token},
             &wire::ParseAuthStatus, precheck,
             precheck.ok() ? reference_number : "");
}

absl::StatusOr<AuthTokens> KsefHttpApi::Redeem(
    const SecretBytes& authentication_token) {
  static constexpr Endpoint kEndpoint{
      "POST /auth/token/redeem", Repeat::kMakesSomething,
      "KSeF hands out an authentication's tokens once, so they cannot be "
      "fetched again: start a new authentication from the challenge"};
  return Run(kEndpoint,
             {.method = "POST",
              .url = Url("/auth/token/redeem"),
              .bearer = &authentication_token},
             &wire::ParseAuthTokens,
             CheckBearer(authentication_token, "authentication token"));
}

absl::StatusOr<KsefBearer> KsefHttpApi::Refresh(
    const SecretBytes& refresh_token) {
  static constexpr Endpoint kEndpoint{"POST /auth/token/refresh"};
  return Run(kEndpoint,
             {.method = "POST",
              .url = Url("/auth/token/refresh"),
              .bearer = &refresh_token},
             &wire::ParseRefresh, CheckBearer(refresh_token, "refresh token"));
}

absl::Status KsefHttpApi::CloseCurrentSession(const SecretBytes& bearer) {
  static constexpr Endpoint kEndpoint{"DELETE /auth/sessions/current",
                                      Repeat::kSameEffect};
  // 204: no body to read.
  absl::StatusOr<std::monostate> (*no_body)(const SecretBytes&) =
      [](const SecretBytes&) -> absl::StatusOr<std::monostate> {
    return std::monostate{};
  };
  return Run(kEndpoint,
             {.method = "DELETE",
              .url = Url("/auth/sessions/current"),
              .bearer = &bearer},
             no_body, CheckBearer(bearer, "bearer token"))
      .status();
}

absl::StatusOr<std::string> KsefHttpApi::PublicKeyCertificates() {
  static constexpr Endpoint kEndpoint{"GET /security/public-key-certificates"};
  return Run(kEndpoint,
             {.method = "GET", .url = Url("/security/public-key-certificates")},
             &wire::ParsePublicKeyCertificates);
}

// Run's instantiations for the endpoints defined in other files
// (ksef_http_api_tokens.cc, ksef_http_api_certificates.cc).
template absl::StatusOr<GeneratedKsefToken> KsefHttpApi::Run(
    const Endpoint&, const HttpRequest&,
    absl::StatusOr<GeneratedKsefToken> (*)(const SecretBytes&), absl::Status,
    absl::string_view);
template absl::StatusOr<KsefTokenStatus> KsefHttpApi::Run(
    const Endpoint&, const HttpRequest&,
    absl::StatusOr<KsefTokenStatus> (*)(const SecretBytes&), absl::Status,
    absl::string_view);
template absl::StatusOr<std::string> KsefHttpApi::Run<std::string>(
    const Endpoint&, const HttpRequest&,
    absl::StatusOr<std::string> (*)(const SecretBytes&), absl::Status,
    absl::string_view);
template absl::StatusOr<std::monostate> KsefHttpApi::Run<std::monostate>(
    const Endpoint&, const HttpRequest&,
    absl::StatusOr<std::monostate> (*)(const SecretBytes&), absl::Status,
    absl::string_view);

}  // namespace sejf::broker
