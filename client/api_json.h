// The API's JSON of client types: the proto3 JSON mapping of the messages in
// proto/sejf/v1 (lowerCamelCase fields, enum value names, int64 as strings,
// bytes as Base64, RFC 3339 times), indented, ending in a newline — what
// `sejf --output json` prints. A list is printed as the List* response
// holding it (e.g. {"keys": [...]}).
//
// Thread-safety: functions without shared state.
#ifndef SEJF_CLIENT_API_JSON_H_
#define SEJF_CLIENT_API_JSON_H_

#include <string>
#include <vector>

#include "client/audit_types.h"
#include "client/key_types.h"
#include "client/ksef_types.h"
#include "client/session_types.h"
#include "client/token_types.h"

namespace sejf::client {

std::string ToJson(const Key& key);
std::string ToJson(const std::vector<Key>& keys);
std::string ToJson(const std::vector<KeyVersion>& versions);
std::string ToJson(const Token& token);
std::string ToJson(const std::vector<Token>& tokens);
std::string ToJson(const VaultStatus& status);
// Every field printed, also `"clean": false` and zero counts.
std::string ToJson(const VaultCheck& check);
std::string ToJson(const DataKeyRotation& rotation);
std::string ToJson(const KekRotation& rotation);
std::string ToJson(const VaultBackup& backup);
std::string ToJson(const std::vector<AuditEvent>& events);
std::string ToJson(const ChainVerification& result);
std::string ToJson(const SignedAuthTokenRequest& signed_request);
std::string ToJson(const EncryptedToken& encrypted);
std::string ToJson(const QrCode& code);
std::string ToJson(const std::vector<MinistryCertificate>& certificates);
std::string ToJson(const KsefSession& session);
std::string ToJson(const std::vector<KsefSession>& sessions);
// {"accessToken": …, "validUntil": …}: holds the bearer token, kept in wiped
// memory; print it and let it go.
SecretBytes ToJson(const AccessToken& token);

}  // namespace sejf::client

#endif  // SEJF_CLIENT_API_JSON_H_
