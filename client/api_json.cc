#include "client/api_json.h"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include "client/audit_conversions.h"
#include "client/common_conversions.h"
#include "client/key_conversions.h"
#include "client/ksef_conversions.h"
#include "client/session_conversions.h"
#include "client/token_conversions.h"

namespace sejf::client {
namespace {

std::string MessageJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "{}\n";
  }
  return json;
}

}  // namespace

std::string ToJson(const Key& key) { return MessageJson(ToProto(key)); }
std::string ToJson(const std::vector<Key>& keys) {
  return MessageJson(ToProto(keys));
}
std::string ToJson(const std::vector<KeyVersion>& versions) {
  return MessageJson(ToProto(versions));
}
std::string ToJson(const Token& token) { return MessageJson(ToProto(token)); }
std::string ToJson(const std::vector<Token>& tokens) {
  return MessageJson(ToProto(tokens));
}
std::string ToJson(const VaultStatus& status) {
  return MessageJson(ToProto(status));
}
std::string ToJson(const VaultCheck& check) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(ToProto(check), &json,
                                                   options)
           .ok()) {
    return "{}\n";
  }
  return json;
}
std::string ToJson(const DataKeyRotation& rotation) {
  return MessageJson(ToProto(rotation));
}
std::string ToJson(const KekRotation& rotation) {
  return MessageJson(ToProto(rotation));
}
std::string ToJson(const VaultBackup& backup) {
  return MessageJson(ToProto(backup));
}
std::string ToJson(const std::vector<AuditEvent>& events) {
  return MessageJson(ToProto(events));
}
std::string ToJson(const ChainVerification& result) {
  return MessageJson(ToProto(result));
}
std::string ToJson(const SignedAuthTokenRequest& signed_request) {
  return MessageJson(ToProto(signed_request));
}
std::string ToJson(const EncryptedToken& encrypted) {
  return MessageJson(ToProto(encrypted));
}
std::string ToJson(const QrCode& code) { return MessageJson(ToProto(code)); }
std::string ToJson(const std::vector<MinistryCertificate>& certificates) {
  return MessageJson(ToProto(certificates));
}

std::string ToJson(const KsefSession& session) {
  return MessageJson(ToProto(session));
}
std::string ToJson(const std::vector<KsefSession>& sessions) {
  return MessageJson(ToProto(sessions));
}
SecretBytes ToJson(const AccessToken& token) {
  v1::GetAccessTokenResponse message = ToProto(token);
  std::string json = MessageJson(message);
  WipeString(message.mutable_access_token());
  SecretBytes out = SecretFromView(json);
  WipeString(&json);
  return out;
}

}  // namespace sejf::client
