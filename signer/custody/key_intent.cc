#include "signer/custody/key_intent.h"

#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "vault/records/record_json.h"

namespace sejf::signer {
namespace {

constexpr int kFormat = 1;

}  // namespace

std::string EncodeKeyIntent(const KeyIntent& intent) {
  return nlohmann::json{{"format", kFormat},
                        {"key_id", absl::BytesToHexString(intent.key_id)},
                        {"label", intent.label}}
      .dump();
}

absl::StatusOr<KeyIntent> DecodeKeyIntent(absl::string_view data) {
  try {
    nlohmann::json j = nlohmann::json::parse(data.begin(), data.end());
    if (vault::RecordInt64(j.at("format"), "format") != kFormat) {
      return absl::DataLossError(
          absl::StrCat("key intent record has format ", j.at("format").dump(),
                       "; this sejfd reads format ", kFormat));
    }
    KeyIntent intent;
    const std::string hex = j.at("key_id").get<std::string>();
    bool hex_ok = !hex.empty() && hex.size() % 2 == 0;
    for (char c : hex) hex_ok = hex_ok && absl::ascii_isxdigit(c);
    if (!hex_ok) {
      return absl::DataLossError("key intent record: key_id is not hex");
    }
    intent.key_id = absl::HexStringToBytes(hex);
    intent.label = j.at("label").get<std::string>();
    return intent;
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("key intent record is damaged: ", e.what()));
  }
}

}  // namespace sejf::signer
