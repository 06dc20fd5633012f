#include "vault/records/key_record.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "vault/records/record_base64.h"
#include "vault/records/record_json.h"

namespace sejf::vault {
namespace {

using nlohmann::json;

constexpr int kFormat = 1;

constexpr std::pair<CredentialState, absl::string_view> kStates[] = {
    {CredentialState::kActive, "active"},
    {CredentialState::kDisabled, "disabled"},
    {CredentialState::kDestroyed, "destroyed"}};
constexpr std::pair<KeyUsage, absl::string_view> kUsages[] = {
    {KeyUsage::kAuthentication, "authentication"},
    {KeyUsage::kOffline, "offline"}};

template <typename E, size_t N>
absl::string_view NameOf(const std::pair<E, absl::string_view> (&table)[N],
                         E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "";
}

template <typename E, size_t N>
std::optional<E> ValueOf(const std::pair<E, absl::string_view> (&table)[N],
                         absl::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string B64(const std::string& bytes) { return absl::Base64Escape(bytes); }

json EncodeCertificate(const KeyCertificate& c) {
  json chain = json::array();
  for (const auto& der : c.chain_der) chain.push_back(B64(der));
  return {{"der", B64(c.der)},
          {"chain", chain},
          {"subject", c.subject},
          {"issuer", c.issuer},
          {"serial", c.serial},
          {"not_before_us", absl::ToUnixMicros(c.not_before)},
          {"not_after_us", absl::ToUnixMicros(c.not_after)},
          {"sha256", c.sha256_fingerprint}};
}

// Records written before issue 12 hold the serial's DER content octets,
// which have a "00" sign byte in front of a serial whose top bit is set
// ("00C3…"). DER adds that byte only then, so it is unambiguous: drop it,
// and the serial reads as its value, as it is written now.
std::string SerialWithoutSignByte(std::string serial) {
  constexpr absl::string_view kTopBitSet = "89ABCDEF";
  if (serial.size() > 2 && absl::StartsWith(serial, "00") &&
      absl::StrContains(kTopBitSet, serial[2])) {
    serial.erase(0, 2);
  }
  return serial;
}

KeyCertificate DecodeCertificate(const json& j) {
  KeyCertificate c;
  c.der = Unb64(j.at("der").get<std::string>(), "der");
  for (const auto& entry : j.at("chain")) {
    c.chain_der.push_back(Unb64(entry.get<std::string>(), "chain entry"));
  }
  c.subject = j.at("subject").get<std::string>();
  c.issuer = j.at("issuer").get<std::string>();
  c.serial = SerialWithoutSignByte(j.at("serial").get<std::string>());
  c.not_before =
      absl::FromUnixMicros(RecordInt64(j.at("not_before_us"), "not_before_us"));
  c.not_after =
      absl::FromUnixMicros(RecordInt64(j.at("not_after_us"), "not_after_us"));
  c.sha256_fingerprint = j.at("sha256").get<std::string>();
  return c;
}

}  // namespace

absl::string_view CredentialStateName(CredentialState state) {
  return NameOf(kStates, state);
}
absl::string_view KeyUsageName(KeyUsage usage) {
  return NameOf(kUsages, usage);
}
std::optional<CredentialState> CredentialStateFromName(absl::string_view name) {
  return ValueOf(kStates, name);
}
std::optional<KeyUsage> KeyUsageFromName(absl::string_view name) {
  return ValueOf(kUsages, name);
}

std::string EncodeKeyRecord(const KeyRecord& r) {
  json j = {{"format", kFormat},
            {"key_id", r.key_id},
            {"algorithm", r.algorithm},
            {"usage", std::string(KeyUsageName(r.usage))},
            {"state", std::string(CredentialStateName(r.state))},
            {"create_time_us", absl::ToUnixMicros(r.create_time)},
            {"pkcs11_uri", r.pkcs11_uri},
            {"public_key", B64(r.public_key_der)}};
  if (r.certificate) j["certificate"] = EncodeCertificate(*r.certificate);
  if (r.latest_version > 1) j["latest_version"] = r.latest_version;
  return j.dump();
}

absl::StatusOr<KeyRecord> DecodeKeyRecord(absl::string_view data) {
  try {
    json j = json::parse(data.begin(), data.end());
    if (RecordInt64(j.at("format"), "format") != kFormat) {
      return absl::DataLossError(
          absl::StrCat("key record has format ", j.at("format").dump(),
                       "; this sejfd reads format ", kFormat));
    }
    KeyRecord r;
    r.key_id = j.at("key_id").get<std::string>();
    r.algorithm = j.at("algorithm").get<std::string>();
    auto usage = KeyUsageFromName(j.at("usage").get<std::string>());
    auto state = CredentialStateFromName(j.at("state").get<std::string>());
    if (!usage || !state) {
      return absl::DataLossError("key record has an unknown usage or state");
    }
    r.usage = *usage;
    r.state = *state;
    r.create_time = absl::FromUnixMicros(
        RecordInt64(j.at("create_time_us"), "create_time_us"));
    r.pkcs11_uri = j.at("pkcs11_uri").get<std::string>();
    r.public_key_der =
        Unb64(j.at("public_key").get<std::string>(), "public_key");
    if (j.contains("certificate")) {
      r.certificate = DecodeCertificate(j.at("certificate"));
    }
    if (j.contains("latest_version")) {
      const std::int64_t latest =
          RecordInt64(j.at("latest_version"), "latest_version");
      if (latest < 1 || latest > kMaxKeyVersion) {
        return absl::DataLossError("key record has a bad latest_version");
      }
      r.latest_version = static_cast<int>(latest);
    }
    return r;
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("key record is damaged: ", e.what()));
  }
}

}  // namespace sejf::vault
