// KeyCustody messages ⇄ client key types (client/key_types.h). Internal to
// client/: callers use client/keys_api.h.
#ifndef SEJF_CLIENT_KEY_CONVERSIONS_H_
#define SEJF_CLIENT_KEY_CONVERSIONS_H_

#include <string>
#include <vector>

#include "client/key_types.h"
#include "sejf/v1/key_custody.pb.h"

namespace sejf::client {

// A response's key, and back (for the API's JSON of it).
Key FromProto(const v1::Key& key);
v1::Key ToProto(const Key& key);

v1::ImportKeyRequest ToProto(const KeyImportRequest& request);
v1::GenerateKeyRequest ToProto(const NewKey& key);
v1::ListKeysRequest ToProto(const KeyFilter& filter, const PageRequest& page);
Page<Key> FromProto(const v1::ListKeysResponse& page);
v1::ListKeysResponse ToProto(const std::vector<Key>& keys);
v1::CreateCsrRequest ToProto(const std::string& name,
                             const CsrSubject& subject);
Csr FromProto(const v1::CreateCsrResponse& csr);
v1::EnrollKeyRequest ToProto(const EnrollKey& request);
v1::RevokeKeyRequest ToProto(const std::string& name,
                             const std::string& session,
                             RevocationReason reason, int version = 0);
RevokedKey FromProto(const v1::RevokeKeyResponse& response);
std::vector<KeyVersion> FromProto(const v1::ListKeyVersionsResponse& response);
v1::ListKeyVersionsResponse ToProto(const std::vector<KeyVersion>& versions);

}  // namespace sejf::client

#endif  // SEJF_CLIENT_KEY_CONVERSIONS_H_
