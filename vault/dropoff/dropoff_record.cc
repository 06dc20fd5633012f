#include "vault/dropoff/dropoff_record.h"

#include <array>
#include <exception>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "vault/records/record_json.h"

namespace sejf::vault {
namespace {

using nlohmann::json;

constexpr std::array<absl::string_view, 2> kTargetNames = {"token", "key"};
constexpr std::array<absl::string_view, 5> kStateNames = {
    "pending", "used", "cancelled", "expired", "locked"};

std::int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

absl::Time TimeMember(const json& j, const char* name) {
  return absl::FromUnixMicros(RecordInt64(j.at(name), name));
}

}  // namespace

absl::string_view DropoffTargetName(DropoffTarget target) {
  return kTargetNames[static_cast<std::size_t>(target)];
}

absl::string_view DropoffStateName(DropoffState state) {
  return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<DropoffTarget> DropoffTargetFromName(absl::string_view name) {
  for (std::size_t i = 0; i < kTargetNames.size(); ++i) {
    if (kTargetNames[i] == name) return static_cast<DropoffTarget>(i);
  }
  return std::nullopt;
}

std::optional<DropoffState> DropoffStateFromName(absl::string_view name) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<DropoffState>(i);
  }
  return std::nullopt;
}

std::string EncodeDropoffRecord(const DropoffRecord& record) {
  json j = {
      {"format", 1},
      {"target", std::string(DropoffTargetName(record.target))},
      {"target_name", record.target_name},
      {"context", record.context},
      {"key_usage", record.key_usage},
      {"created_by", record.created_by},
      {"state", std::string(DropoffStateName(record.state))},
      {"secret_sha256", absl::BytesToHexString(record.secret_sha256)},
      {"create_time_us", Micros(record.create_time)},
      {"expire_time_us", Micros(record.expire_time)},
      {"attempts", record.attempts},
  };
  if (record.last_failure_time) {
    j["last_failure_time_us"] = Micros(*record.last_failure_time);
  }
  if (record.finish_time) j["finish_time_us"] = Micros(*record.finish_time);
  return j.dump();
}

absl::StatusOr<DropoffRecord> DecodeDropoffRecord(absl::string_view data) {
  try {
    const json j = json::parse(data);
    if (RecordInt64(j.at("format"), "format") != 1) {
      return absl::DataLossError("drop-off record: unknown format");
    }
    DropoffRecord record;
    std::optional<DropoffTarget> target =
        DropoffTargetFromName(j.at("target").get<std::string>());
    std::optional<DropoffState> state =
        DropoffStateFromName(j.at("state").get<std::string>());
    if (!target || !state) {
      return absl::DataLossError("drop-off record: bad target or state");
    }
    record.target = *target;
    record.state = *state;
    record.target_name = j.at("target_name").get<std::string>();
    record.context = j.at("context").get<std::string>();
    record.key_usage = j.at("key_usage").get<std::string>();
    record.created_by = j.at("created_by").get<std::string>();
    const std::string hex = j.at("secret_sha256").get<std::string>();
    if (hex.size() != 64 ||
        hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return absl::DataLossError("drop-off record: bad secret_sha256");
    }
    record.secret_sha256 = absl::HexStringToBytes(hex);
    record.create_time = TimeMember(j, "create_time_us");
    record.expire_time = TimeMember(j, "expire_time_us");
    record.attempts = RecordInt64(j.at("attempts"), "attempts");
    if (j.contains("last_failure_time_us")) {
      record.last_failure_time = TimeMember(j, "last_failure_time_us");
    }
    if (j.contains("finish_time_us")) {
      record.finish_time = TimeMember(j, "finish_time_us");
    }
    return record;
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("drop-off record: ", e.what()));
  }
}

}  // namespace sejf::vault
