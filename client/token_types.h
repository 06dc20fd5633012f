// Client-side types of the TokenVault API (proto/sejf/v1/token_vault.proto):
// KSeF tokens stored sealed, and the vault's status.
//
// Plain values; the server judges every field (names, contexts, the secret's
// form), the client only carries them.
#ifndef SEJF_CLIENT_TOKEN_TYPES_H_
#define SEJF_CLIENT_TOKEN_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/common_types.h"
#include "common/secret.h"

namespace sejf::client {

// KSeF token permissions (TokenPermissionType). kUnspecified stands for a
// value this client does not know.
enum class TokenPermission {
  kUnspecified,
  kInvoiceRead,
  kInvoiceWrite,
  kCredentialsRead,
  kCredentialsManage,
  kSubunitManage,
  kEnforcementOperations,
  kIntrospection,
  kCollectiveIdentifierManage,
};

// A stored token's metadata; no call ever returns the secret.
struct Token {
  // "tokens/{token}".
  std::string name;
  // The KSeF context it was issued in, e.g. "nip:5265877635".
  std::string context;
  std::vector<TokenPermission> permissions;
  std::string description;
  CredentialState state = CredentialState::kUnspecified;
  // 1 at import, +1 on each rotation.
  std::int64_t version = 0;
  absl::Time create_time;
  absl::Time rotate_time;
  // Unset when the token does not expire.
  std::optional<absl::Time> expire_time;
  // Issue 14: KSeF's reference number ("" unknown), the environment it was
  // minted in ("" for an import), its KSeF status when last seen ("" never
  // asked; "Pending", "Active", "Revoking", "Revoked", "Failed") and when.
  std::string ksef_reference_number = {};
  std::string ksef_environment = {};
  std::string ksef_status = {};
  std::optional<absl::Time> ksef_status_time = std::nullopt;
};

// A token to mint in KSeF through a session of sejf (issue 14).
struct TokenCreate {
  std::string token_id;
  std::string session;  // "sessions/{session}"
  std::vector<TokenPermission> permissions;
  std::string description;
};

// A KSeF token to store. The secret lives in wiped memory; the API copies it
// into the request only for the call and wipes that copy afterwards.
struct TokenImport {
  // The {token} part of the new token's name.
  std::string token_id;
  std::string context;
  std::vector<TokenPermission> permissions;
  std::string description;
  // Unset: the token does not expire.
  std::optional<absl::Time> expire_time;
  // The token in plaintext (the weaker path), or nothing when
  // encrypted_secret is set.
  SecretBytes secret;
  // The token encrypted to sejfd's import key (common/import_wrap.h's
  // EncryptToImportKey): sent instead of `secret` when not empty.
  std::string encrypted_secret = {};
};

// Which tokens ListTokens returns; empty / unset means any.
struct TokenFilter {
  std::string context;
  std::optional<CredentialState> state;
};

// RotateDataKey's result: the new data-encryption key for new writes.
struct DataKeyRotation {
  std::int64_t data_key_id = 0;
};

// RotateKeyEncryptionKey's result: the new HSM key-encryption key.
struct KekRotation {
  // RFC 7512 URI.
  std::string kek_uri;
};

struct VaultStatus {
  // The data-encryption key new writes use.
  std::int64_t current_data_key_id = 0;
  std::int64_t data_key_count = 0;
  std::int64_t token_count = 0;
  // Records still sealed under an older data key (0 once a rotation is done).
  std::int64_t records_pending_reseal = 0;
  std::string kek_uri;
};

// One finding of CheckVault (proto/sejf/v1/token_vault.proto).
struct VaultFinding {
  // The kind in snake case without its prefix: "orphan_key_object",
  // "pending_kek", … ("unspecified" for a kind this client does not know).
  std::string kind;
  std::string subject;
  std::string detail;
  std::string remedy;
};

// CheckVault's result.
struct VaultCheck {
  bool clean = false;
  std::vector<VaultFinding> findings;
  std::int64_t keys_checked = 0;
  std::int64_t tokens_checked = 0;
  std::int64_t hsm_objects = 0;
  std::int64_t data_keys_checked = 0;
};

// BackupVault's result (issue 16, docs/backup.md).
struct VaultBackup {
  std::string directory;  // on sejfd's host
  std::int64_t database_bytes = 0;
  std::int64_t hsm_files = 0;
  std::int64_t other_files = 0;
  std::int64_t hsm_frozen_ms = 0;
};

}  // namespace sejf::client

#endif  // SEJF_CLIENT_TOKEN_TYPES_H_
