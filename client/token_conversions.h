// TokenVault messages ⇄ client token types (client/token_types.h).
// Internal to client/: callers use client/tokens_api.h.
#ifndef SEJF_CLIENT_TOKEN_CONVERSIONS_H_
#define SEJF_CLIENT_TOKEN_CONVERSIONS_H_

#include <string>
#include <vector>

#include "client/token_types.h"
#include "sejf/v1/token_vault.pb.h"

namespace sejf::client {

// A response's token, and back (for the API's JSON of it).
Token FromProto(const v1::Token& token);
v1::Token ToProto(const Token& token);

// Copies the secret into the request: the caller wipes the request's
// `secret` (WipeString) once the call returns.
v1::ImportTokenRequest ToProto(const TokenImport& token);
v1::CreateTokenInKsefRequest ToProto(const TokenCreate& create);

v1::ListTokensRequest ToProto(const TokenFilter& filter,
                              const PageRequest& page);
Page<Token> FromProto(const v1::ListTokensResponse& page);
v1::ListTokensResponse ToProto(const std::vector<Token>& tokens);

VaultStatus FromProto(const v1::GetVaultStatusResponse& status);
v1::GetVaultStatusResponse ToProto(const VaultStatus& status);
DataKeyRotation FromProto(const v1::RotateDataKeyResponse& rotation);
v1::RotateDataKeyResponse ToProto(const DataKeyRotation& rotation);
KekRotation FromProto(const v1::RotateKeyEncryptionKeyResponse& rotation);
v1::RotateKeyEncryptionKeyResponse ToProto(const KekRotation& rotation);
VaultBackup FromProto(const v1::BackupVaultResponse& backup);
v1::BackupVaultResponse ToProto(const VaultBackup& backup);
VaultCheck FromProto(const v1::CheckVaultResponse& check);
v1::CheckVaultResponse ToProto(const VaultCheck& check);

}  // namespace sejf::client

#endif  // SEJF_CLIENT_TOKEN_CONVERSIONS_H_
