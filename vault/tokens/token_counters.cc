#include "vault/tokens/token_counters.h"

#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "vault/records/record_json.h"

namespace sejf::vault {
namespace {

using nlohmann::json;
constexpr int kFormat = 1;

}  // namespace

std::int64_t TokenCounters::Total() const {
  std::int64_t total = 0;
  for (const auto& [dek, count] : sealed_by_dek) total += count;
  return total;
}

std::int64_t TokenCounters::NotUnder(std::uint32_t current_dek) const {
  std::int64_t total = 0;
  for (const auto& [dek, count] : sealed_by_dek) {
    if (dek != current_dek) total += count;
  }
  return total;
}

std::string EncodeTokenCounters(const TokenCounters& counters) {
  json by_dek = json::object();
  for (const auto& [dek, count] : counters.sealed_by_dek) {
    if (count != 0) by_dek[absl::StrCat(dek)] = count;
  }
  return json{{"format", kFormat}, {"sealed_by_dek", by_dek}}.dump();
}

absl::StatusOr<TokenCounters> DecodeTokenCounters(absl::string_view data) {
  try {
    json j = json::parse(data.begin(), data.end());
    if (RecordInt64(j.at("format"), "format") != kFormat) {
      return absl::DataLossError(
          absl::StrCat("token counters have format ", j.at("format").dump(),
                       "; this sejfd reads format ", kFormat));
    }
    TokenCounters counters;
    for (const auto& [key, value] : j.at("sealed_by_dek").items()) {
      std::uint32_t dek = 0;
      if (!absl::SimpleAtoi(key, &dek)) {
        return absl::DataLossError(
            "token counters: a data key id is not a number");
      }
      counters.sealed_by_dek[dek] = RecordInt64(value, "sealed_by_dek");
    }
    return counters;
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("token counters are damaged: ", e.what()));
  }
}

absl::StatusOr<TokenCounters> ReadTokenCounters(Transaction& txn) {
  ASSIGN_OR_RETURN(std::optional<Record> record,
                   txn.Get(kTokenCountersKind, kTokenCountersName));
  if (!record.has_value()) return TokenCounters{};
  return DecodeTokenCounters(record->data);
}

absl::Status AddToTokenCounters(
    Transaction& txn, const std::map<std::uint32_t, std::int64_t>& delta) {
  ASSIGN_OR_RETURN(std::optional<Record> record,
                   txn.Get(kTokenCountersKind, kTokenCountersName));
  TokenCounters counters;
  if (record.has_value()) {
    ASSIGN_OR_RETURN(counters, DecodeTokenCounters(record->data));
  }
  for (const auto& [dek, change] : delta) {
    std::int64_t& count = counters.sealed_by_dek[dek];
    count += change;
    if (count < 0) {
      return absl::DataLossError(
          absl::StrCat("token counters are out of step: data key ", dek,
                       " would seal a negative number of tokens"));
    }
  }
  const std::string data = EncodeTokenCounters(counters);
  if (!record.has_value()) {
    return txn.Insert(kTokenCountersKind, kTokenCountersName, data).status();
  }
  return txn
      .Update(kTokenCountersKind, kTokenCountersName, record->version, data)
      .status();
}

}  // namespace sejf::vault
