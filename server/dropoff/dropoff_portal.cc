#include "server/dropoff/dropoff_portal.h"

#include <sodium.h>

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/echo.h"
#include "common/import_wrap.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "vault/records/token_record.h"

namespace sejf::server {
namespace {

using nlohmann::json;

// The request's members; the secret moved into zeroing memory and the
// parsed copy wiped.
struct PortalRequest {
  SecretBytes secret;
  std::string token_base64;
  std::string certificate_base64;
  std::string wrapped_key_base64;
};

absl::StatusOr<PortalRequest> ParseRequest(absl::string_view body) {
  PortalRequest out;
  try {
    json j = json::parse(body);
    if (!j.is_object() || !j.contains("secret") || !j["secret"].is_string()) {
      return absl::InvalidArgumentError("the request has no link secret");
    }
    std::string& secret = j["secret"].get_ref<std::string&>();
    out.secret = SecretFromView(secret);
    sodium_memzero(secret.data(), secret.size());
    for (auto [member, field] :
         {std::pair{"token", &out.token_base64},
          std::pair{"certificate", &out.certificate_base64},
          std::pair{"wrapped_key", &out.wrapped_key_base64}}) {
      if (!j.contains(member)) continue;
      if (!j[member].is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(member, ": must be Base64 text"));
      }
      *field = j[member].get<std::string>();
    }
  } catch (const std::exception&) {
    return absl::InvalidArgumentError("the request is not JSON");
  }
  return out;
}

PortalResponse Refusal(const absl::Status& status) {
  return {.http_status = HttpStatusOf(status.code()),
          .json = json{{"error", std::string(status.message())}}.dump()};
}

}  // namespace

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kFailedPrecondition:
      return 410;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
      return 503;
    default:
      return 500;
  }
}

absl::Status DropoffPortal::Record(absl::string_view method,
                                   absl::string_view step, absl::string_view id,
                                   absl::string_view context,
                                   absl::string_view outcome,
                                   absl::string_view detail,
                                   absl::string_view peer) {
  const std::string clipped_id = ClipEcho(id);
  const std::string clipped_peer = ClipEcho(peer);
  logger_->Log(outcome == "OK" || outcome == vault::kAuditOutcomeStarted
                   ? LogLevel::kInfo
                   : LogLevel::kWarning,
               "dropoff",
               {{"method", method},
                {"step", step},
                {"id", clipped_id},
                {"outcome", outcome},
                {"peer", clipped_peer},
                {"detail", detail}});
  vault::AuditEvent event;
  event.request_id = RandomHex(16);
  event.identity = "dropoff-link";
  event.operation = "dropoff.use";
  event.method = absl::StrCat("dropoff/", method);
  event.resource = absl::StrCat("dropoffs/", clipped_id);
  event.context = std::string(context);
  event.outcome = std::string(outcome);
  event.detail =
      vault::ClipAuditField(absl::StrCat(step, " from ", clipped_peer,
                                         detail.empty() ? "" : ": ", detail),
                            vault::kMaxAuditDetailSize);
  return audit_->Append(std::move(event)).status();
}

// The outcome's step word for the audit: what happened to the link.
static absl::string_view StepOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return "ok";
    case absl::StatusCode::kFailedPrecondition:
      return absl::StrContains(status.message(), "expired") ? "expired"
                                                            : "refused";
    default:
      return "refused";
  }
}

PortalResponse DropoffPortal::Open(absl::string_view id, absl::string_view body,
                                   absl::string_view peer) {
  absl::StatusOr<PortalRequest> request = ParseRequest(body);
  absl::StatusOr<vault::Dropoff> dropoff =
      request.ok() ? store_->Check(id, request->secret)
                   : absl::StatusOr<vault::Dropoff>(request.status());
  absl::StatusOr<std::string> spki =
      dropoff.ok() ? import_key_->PublicKey()
                   : absl::StatusOr<std::string>(dropoff.status());
  const absl::Status status = spki.status();
  std::string context = dropoff.ok() ? dropoff->record.context : "";
  if (!dropoff.ok()) {
    if (absl::StatusOr<vault::Dropoff> known = store_->Get(id); known.ok()) {
      context = known->record.context;
    }
  }
  absl::Status recorded =
      Record("open", status.ok() ? "opened" : StepOf(status), id, context,
             absl::StatusCodeToString(status.code()),
             status.ok() ? "" : status.message(), peer);
  if (!status.ok()) return Refusal(status);
  if (!recorded.ok())
    return Refusal(absl::UnavailableError(
        "the drop-off could not be recorded; try again later"));
  const vault::DropoffRecord& record = dropoff->record;
  json answer = {
      {"id", dropoff->id},
      {"kind", std::string(vault::DropoffTargetName(record.target))},
      {"name", record.target_name},
      {"context", record.context},
      {"expires", absl::FormatTime(absl::RFC3339_sec, record.expire_time,
                                   absl::UTCTimeZone())},
      {"import_key",
       {{"spki", absl::Base64Escape(*spki)},
        {"fingerprint", ImportKeyFingerprint(*spki)}}},
  };
  return {.http_status = 200, .json = answer.dump()};
}

absl::Status DropoffPortal::DeliverToken(const vault::Dropoff& dropoff,
                                         absl::string_view ciphertext_base64) {
  std::string ciphertext;
  if (ciphertext_base64.empty() ||
      !absl::Base64Unescape(ciphertext_base64, &ciphertext)) {
    return absl::InvalidArgumentError(
        "token: the page sent no encrypted token");
  }
  ASSIGN_OR_RETURN(SecretBytes secret, import_key_->Decrypt(ciphertext));
  RETURN_IF_ERROR(vault::ValidateTokenSecret(secret, "token"));
  vault::TokenImport import;
  import.name = dropoff.record.target_name;
  import.context = dropoff.record.context;
  import.description =
      absl::StrCat("handed over through drop-off link ", dropoff.id);
  import.secret = std::move(secret);
  return tokens_->Import(import).status();
}

absl::Status DropoffPortal::DeliverKey(const vault::Dropoff& dropoff,
                                       absl::string_view certificate_base64,
                                       absl::string_view wrapped_base64) {
  signer::KeyImport import;
  import.name = dropoff.record.target_name;
  if (certificate_base64.empty() ||
      !absl::Base64Unescape(certificate_base64, &import.certificate_chain)) {
    return absl::InvalidArgumentError(
        "certificate: the page sent no certificate file");
  }
  if (wrapped_base64.empty() ||
      !absl::Base64Unescape(wrapped_base64, &import.wrapped_key)) {
    return absl::InvalidArgumentError("wrapped_key: the page sent no key");
  }
  if (!dropoff.record.key_usage.empty()) {
    import.usage = vault::KeyUsageFromName(dropoff.record.key_usage);
  }
  return keys_->Import(import).status();
}

PortalResponse DropoffPortal::Submit(absl::string_view id,
                                     absl::string_view body,
                                     absl::string_view peer) {
  absl::StatusOr<PortalRequest> request = ParseRequest(body);
  std::string context;
  absl::Status status = request.status();
  if (status.ok()) {
    status =
        store_
            ->Redeem(
                id, request->secret,
                [&](const vault::Dropoff& dropoff) -> absl::Status {
                  context = dropoff.record.context;
                  // Intent first: nothing is stored unaudited.
                  RETURN_IF_ERROR(Record("submit", "delivering", id, context,
                                         vault::kAuditOutcomeStarted,
                                         dropoff.record.target_name, peer));
                  if (dropoff.record.target == vault::DropoffTarget::kKey) {
                    return DeliverKey(dropoff, request->certificate_base64,
                                      request->wrapped_key_base64);
                  }
                  return DeliverToken(dropoff, request->token_base64);
                })
            .status();
  }
  if (context.empty()) {
    if (absl::StatusOr<vault::Dropoff> known = store_->Get(id); known.ok()) {
      context = known->record.context;
    }
  }
  absl::Status recorded =
      Record("submit", status.ok() ? "used" : StepOf(status), id, context,
             absl::StatusCodeToString(status.code()),
             status.ok() ? "" : status.message(), peer);
  if (!status.ok()) return Refusal(status);
  if (!recorded.ok()) {
    return Refusal(absl::UnavailableError(
        "the credential was stored but its audit event was not; tell the "
        "operator"));
  }
  return {.http_status = 200, .json = json{{"result", "ok"}}.dump()};
}

}  // namespace sejf::server
