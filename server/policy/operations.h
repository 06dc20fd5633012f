// The fixed set of operations the policy speaks about, and the KSeF context
// types a policy rule may name. One list for the RPC adapters (which name the
// operation they are about to perform), the policy (which grants them) and
// WhoAmI (which lists them).
//
// Thread-safety: everything here is immutable; safe from any thread.
#ifndef SEJF_SERVER_POLICY_OPERATIONS_H_
#define SEJF_SERVER_POLICY_OPERATIONS_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"

namespace sejf::server {

// An operation a client asks to perform. The names (OperationName) are the
// strings that appear in policy rules, logs and audit events.
enum class Operation : std::uint8_t {
  kKeysRead,        // "keys.read": list keys, read metadata and certificates
  kKeysManage,      // "keys.manage": generate, attach certificates, disable
  kTokensRead,      // "tokens.read": list token metadata (never the token)
  kTokensManage,    // "tokens.manage": import, rotate, disable, destroy
  kMfcertsManage,   // "mfcerts.manage": Ministry of Finance certificates
  kAuthXades,       // "auth.xades": sign an AuthTokenRequest (XAdES)
  kAuthToken,       // "auth.token": encrypt a KSeF token for /auth/ksef-token
  kQrOffline,       // "qr.offline": sign an offline-invoice QR code II
  kAuditRead,       // "audit.read": read the audit log (see OperationScope)
  kVaultAdmin,      // "vault.admin": vault status, data-key and KEK rotation
  kSessionsManage,  // "sessions.manage": open and close KSeF sessions
  kSessionsToken,   // "sessions.token": get a session's KSeF access token
  kSessionsRead,    // "sessions.read": list sessions, read their state
  kTokensCreate,    // "tokens.create": mint a token in KSeF into the vault
  kKeysEnroll,      // "keys.enroll": KSeF certificates: enroll, revoke
  kDropoffManage,   // "dropoff.manage": one-time drop-off links (issue 15)
};

inline constexpr std::size_t kOperationCount = 16;

// What an operation acts on, which decides the rules that can grant it
// (policy.h):
//   kScoped     — one credential and/or one KSeF context, or a listing
//                 filtered item by item to what the caller may see;
//   kWholeVault — state shared by every tenant (the vault's data keys and
//                 KEKs, the Ministry certificates). Only an unscoped rule
//                 grants it, so a rule written for one NIP or one credential
//                 can never reach it by accident.
// audit.read is scoped: a scoped rule reads the events of its own contexts
// and credentials; reading every event and verifying the whole chain are
// whole-vault requests of audit.read (AccessRequest::whole_vault).
enum class OperationScope : std::uint8_t { kScoped, kWholeVault };

OperationScope ScopeOf(Operation op);

// Every operation, in the order of the enum (stable; use it for listings).
absl::Span<const Operation> AllOperations();

// "keys.read", … ; the canonical name of `op`.
absl::string_view OperationName(Operation op);

// The operation called exactly `name`, or nullopt.
absl::optional<Operation> OperationFromName(absl::string_view name);

// The KSeF context-identifier prefixes a context pattern may start with:
// "nip:", "internal-id:", "nip-vat-ue:", "peppol-id:".
absl::Span<const absl::string_view> KnownContextTypes();

// Whether `op` may change what the vault stores (keys, tokens, Ministry
// certificates, data keys, KSeF sessions): the RPC frame then makes an intent
// audit event durable before the handler acts (rpc_call.h), so a crash between
// the change and its result event cannot leave the change unaudited. Reading
// and signing operations change nothing stored.
bool ChangesState(Operation op);

}  // namespace sejf::server

#endif  // SEJF_SERVER_POLICY_OPERATIONS_H_
