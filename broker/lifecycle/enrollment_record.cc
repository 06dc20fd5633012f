#include "broker/lifecycle/enrollment_record.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "vault/records/record_json.h"

namespace sejf::broker {
namespace {

constexpr int kFormat = 1;

std::optional<EnrollmentState> StateFromName(absl::string_view name) {
  for (EnrollmentState s :
       {EnrollmentState::kSubmitting, EnrollmentState::kPending,
        EnrollmentState::kCompleted, EnrollmentState::kFailed}) {
    if (EnrollmentStateName(s) == name) return s;
  }
  return std::nullopt;
}

void PutTime(nlohmann::json& json, const char* key, absl::Time t) {
  if (t != absl::InfinitePast()) json[key] = absl::ToUnixMicros(t);
}

absl::Time GetTime(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end()) return absl::InfinitePast();
  return absl::FromUnixMicros(vault::RecordInt64(*it, key));
}

std::string GetString(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end()) return "";
  if (!it->is_string()) {
    throw std::invalid_argument(absl::StrCat(key, " is not a string"));
  }
  return it->get<std::string>();
}

}  // namespace

absl::string_view EnrollmentStateName(EnrollmentState state) {
  switch (state) {
    case EnrollmentState::kSubmitting:
      return "submitting";
    case EnrollmentState::kPending:
      return "pending";
    case EnrollmentState::kCompleted:
      return "completed";
    case EnrollmentState::kFailed:
      return "failed";
  }
  return "failed";
}

std::string EncodeEnrollmentRecord(const EnrollmentRecord& r) {
  nlohmann::json json = {
      {"format", kFormat},
      {"session", r.session},
      {"environment", r.environment},
      {"usage", vault::KeyUsageName(r.usage)},
      {"algorithm", r.algorithm},
      {"certificate_name", r.certificate_name},
      {"state", EnrollmentStateName(r.state)},
  };
  for (auto [key, value] : {std::pair<const char*, const std::string*>{
                                "reference_number", &r.reference_number},
                            {"serial", &r.serial},
                            {"error", &r.error},
                            {"ksef_status", &r.ksef_status}}) {
    if (!value->empty()) json[key] = *value;
  }
  PutTime(json, "create_time_us", r.create_time);
  PutTime(json, "update_time_us", r.update_time);
  PutTime(json, "ksef_status_time_us", r.ksef_status_time);
  if (r.version > 1) json["version"] = r.version;
  if (r.renew_before_days.has_value()) {
    json["renew_before_days"] = *r.renew_before_days;
  }
  return json.dump();
}

absl::StatusOr<EnrollmentRecord> DecodeEnrollmentRecord(
    absl::string_view data) {
  nlohmann::json json = nlohmann::json::parse(data, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::DataLossError("enrollment record is not a JSON object");
  }
  try {
    if (vault::RecordInt64(json.at("format"), "format") != kFormat) {
      return absl::DataLossError("enrollment record has another format");
    }
    EnrollmentRecord r;
    r.session = GetString(json, "session");
    r.environment = GetString(json, "environment");
    std::optional<vault::KeyUsage> usage =
        vault::KeyUsageFromName(GetString(json, "usage"));
    std::optional<EnrollmentState> state =
        StateFromName(GetString(json, "state"));
    if (!usage.has_value() || !state.has_value()) {
      return absl::DataLossError("enrollment record: bad usage or state");
    }
    r.usage = *usage;
    r.state = *state;
    r.algorithm = GetString(json, "algorithm");
    r.certificate_name = GetString(json, "certificate_name");
    r.reference_number = GetString(json, "reference_number");
    r.serial = GetString(json, "serial");
    r.error = GetString(json, "error");
    r.ksef_status = GetString(json, "ksef_status");
    r.create_time = GetTime(json, "create_time_us");
    r.update_time = GetTime(json, "update_time_us");
    r.ksef_status_time = GetTime(json, "ksef_status_time_us");
    if (auto it = json.find("version"); it != json.end()) {
      const std::int64_t v = vault::RecordInt64(*it, "version");
      if (v < 1 || v > vault::kMaxKeyVersion) {
        return absl::DataLossError("enrollment record: bad version");
      }
      r.version = static_cast<int>(v);
    }
    if (auto it = json.find("renew_before_days"); it != json.end()) {
      const std::int64_t d = vault::RecordInt64(*it, "renew_before_days");
      if (d < 0 || d > kMaxRenewBeforeDays) {
        return absl::DataLossError("enrollment record: bad renew_before_days");
      }
      r.renew_before_days = static_cast<int>(d);
    }
    return r;
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("enrollment record is malformed: ", e.what()));
  }
}

}  // namespace sejf::broker
