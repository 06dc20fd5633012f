#include "broker/sessions/session_record.h"

#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "vault/records/record_base64.h"
#include "vault/records/record_json.h"

namespace sejf::broker {
namespace {

using nlohmann::json;

constexpr int kFormat = 1;

std::int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(const json& j) {
  return absl::FromUnixMicros(vault::RecordInt64(j, "a time"));
}

std::optional<absl::Time> OptionalTime(const json& j, const char* member) {
  if (!j.contains(member)) return std::nullopt;
  return FromMicros(j.at(member));
}

std::optional<SealedBearer> DecodeBearer(const json& j, const char* sealed,
                                         const char* valid_until) {
  if (!j.contains(sealed)) return std::nullopt;
  return SealedBearer{
      .sealed = vault::Unb64(j.at(sealed).get<std::string>(), sealed),
      .valid_until = FromMicros(j.at(valid_until))};
}

}  // namespace

absl::string_view SessionCredentialKindName(SessionCredentialKind kind) {
  return kind == SessionCredentialKind::kKey ? "key" : "token";
}

std::optional<SessionCredentialKind> SessionCredentialKindFromName(
    absl::string_view name) {
  if (name == "key") return SessionCredentialKind::kKey;
  if (name == "token") return SessionCredentialKind::kToken;
  return std::nullopt;
}

absl::string_view SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kActive:
      return "active";
    case SessionState::kFailing:
      return "failing";
    case SessionState::kClosed:
      return "closed";
  }
  return "";
}

std::optional<SessionState> SessionStateFromName(absl::string_view name) {
  if (name == "active") return SessionState::kActive;
  if (name == "failing") return SessionState::kFailing;
  if (name == "closed") return SessionState::kClosed;
  return std::nullopt;
}

std::string AccessTokenPlaceId(absl::string_view session_name) {
  return absl::StrCat(session_name, "/access");
}

std::string RefreshTokenPlaceId(absl::string_view session_name) {
  return absl::StrCat(session_name, "/refresh");
}

std::string EncodeSessionRecord(const SessionRecord& r) {
  json j = {{"format", kFormat},
            {"credential_kind",
             std::string(SessionCredentialKindName(r.credential_kind))},
            {"credential_name", r.credential_name},
            {"context", r.context},
            {"environment", r.environment},
            {"state", std::string(SessionStateName(r.state))},
            {"generation", r.generation},
            {"create_time_us", Micros(r.create_time)},
            {"update_time_us", Micros(r.update_time)}};
  if (!r.allowed_ips.empty()) {
    j["allowed_ips"] = {{"ip4_addresses", r.allowed_ips.ip4_addresses},
                        {"ip4_ranges", r.allowed_ips.ip4_ranges},
                        {"ip4_masks", r.allowed_ips.ip4_masks}};
  }
  if (r.credential_kind == SessionCredentialKind::kKey) {
    j["subject_type"] = std::string(SubjectIdentifierTypeName(r.subject_type));
  }
  if (!r.reference_number.empty()) j["reference_number"] = r.reference_number;
  if (!r.key_certificate_sha256.empty()) {
    j["key_certificate_sha256"] = r.key_certificate_sha256;
  }
  if (r.access) {
    j["access_sealed"] = absl::Base64Escape(r.access->sealed);
    j["access_valid_until_us"] = Micros(r.access->valid_until);
  }
  if (r.refresh) {
    j["refresh_sealed"] = absl::Base64Escape(r.refresh->sealed);
    j["refresh_valid_until_us"] = Micros(r.refresh->valid_until);
  }
  if (r.login_time) j["login_time_us"] = Micros(*r.login_time);
  if (r.last_refresh_time) {
    j["last_refresh_time_us"] = Micros(*r.last_refresh_time);
  }
  if (r.last_error) {
    j["last_error"] = {{"code", r.last_error->code},
                       {"text", r.last_error->text},
                       {"time_us", Micros(r.last_error->time)}};
  }
  return j.dump();
}

absl::StatusOr<SessionRecord> DecodeSessionRecord(absl::string_view data) {
  try {
    json j = json::parse(data.begin(), data.end());
    if (vault::RecordInt64(j.at("format"), "format") != kFormat) {
      return absl::DataLossError(
          absl::StrCat("session record has format ", j.at("format").dump(),
                       "; this sejfd reads format ", kFormat));
    }
    SessionRecord r;
    auto kind = SessionCredentialKindFromName(
        j.at("credential_kind").get<std::string>());
    if (!kind) {
      return absl::DataLossError(
          "session record has an unknown credential_kind");
    }
    r.credential_kind = *kind;
    r.credential_name = j.at("credential_name").get<std::string>();
    r.context = j.at("context").get<std::string>();
    r.environment = j.at("environment").get<std::string>();
    if (j.contains("allowed_ips")) {
      const json& ips = j.at("allowed_ips");
      r.allowed_ips.ip4_addresses =
          ips.at("ip4_addresses").get<std::vector<std::string>>();
      r.allowed_ips.ip4_ranges =
          ips.at("ip4_ranges").get<std::vector<std::string>>();
      r.allowed_ips.ip4_masks =
          ips.at("ip4_masks").get<std::vector<std::string>>();
    }
    if (j.contains("subject_type")) {
      const std::string type = j.at("subject_type").get<std::string>();
      if (type == SubjectIdentifierTypeName(
                      signer::SubjectIdentifierType::kCertificateSubject)) {
        r.subject_type = signer::SubjectIdentifierType::kCertificateSubject;
      } else if (type ==
                 SubjectIdentifierTypeName(
                     signer::SubjectIdentifierType::kCertificateFingerprint)) {
        r.subject_type = signer::SubjectIdentifierType::kCertificateFingerprint;
      } else {
        return absl::DataLossError(
            "session record has an unknown subject_type");
      }
    }
    auto state = SessionStateFromName(j.at("state").get<std::string>());
    if (!state)
      return absl::DataLossError("session record has an unknown state");
    r.state = *state;
    if (j.contains("key_certificate_sha256")) {
      r.key_certificate_sha256 =
          j.at("key_certificate_sha256").get<std::string>();
    }
    if (j.contains("reference_number")) {
      r.reference_number = j.at("reference_number").get<std::string>();
    }
    r.generation = vault::RecordInt64(j.at("generation"), "generation");
    r.access = DecodeBearer(j, "access_sealed", "access_valid_until_us");
    r.refresh = DecodeBearer(j, "refresh_sealed", "refresh_valid_until_us");
    r.login_time = OptionalTime(j, "login_time_us");
    r.last_refresh_time = OptionalTime(j, "last_refresh_time_us");
    if (j.contains("last_error")) {
      const json& e = j.at("last_error");
      r.last_error = SessionError{.code = e.at("code").get<std::string>(),
                                  .text = e.at("text").get<std::string>(),
                                  .time = FromMicros(e.at("time_us"))};
    }
    r.create_time = FromMicros(j.at("create_time_us"));
    r.update_time = FromMicros(j.at("update_time_us"));
    if (r.state != SessionState::kClosed && (!r.access || !r.refresh)) {
      return absl::DataLossError(
          "session record is open but lacks a sealed token");
    }
    return r;
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("session record is damaged: ", e.what()));
  }
}

}  // namespace sejf::broker
