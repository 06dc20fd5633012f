#include "server/policy/operations.h"

#include <array>

namespace sejf::server {
namespace {

constexpr std::array<Operation, kOperationCount> kOperations = {
    Operation::kKeysRead,       Operation::kKeysManage,
    Operation::kTokensRead,     Operation::kTokensManage,
    Operation::kMfcertsManage,  Operation::kAuthXades,
    Operation::kAuthToken,      Operation::kQrOffline,
    Operation::kAuditRead,      Operation::kVaultAdmin,
    Operation::kSessionsManage, Operation::kSessionsToken,
    Operation::kSessionsRead,   Operation::kTokensCreate,
    Operation::kKeysEnroll,     Operation::kDropoffManage,
};

// Indexed by the enum value.
constexpr std::array<absl::string_view, kOperationCount> kNames = {
    "keys.read",      "keys.manage",   "tokens.read",     "tokens.manage",
    "mfcerts.manage", "auth.xades",    "auth.token",      "qr.offline",
    "audit.read",     "vault.admin",   "sessions.manage", "sessions.token",
    "sessions.read",  "tokens.create", "keys.enroll",     "dropoff.manage",
};

constexpr std::array<absl::string_view, 4> kContextTypes = {
    "nip:", "internal-id:", "nip-vat-ue:", "peppol-id:"};

}  // namespace

absl::Span<const Operation> AllOperations() { return kOperations; }

absl::string_view OperationName(Operation op) {
  auto index = static_cast<std::size_t>(op);
  return index < kNames.size() ? kNames[index] : absl::string_view("unknown");
}

OperationScope ScopeOf(Operation op) {
  switch (op) {
    case Operation::kMfcertsManage:
    case Operation::kVaultAdmin:
      return OperationScope::kWholeVault;
    default:
      return OperationScope::kScoped;
  }
}

absl::optional<Operation> OperationFromName(absl::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Operation>(i);
  }
  return absl::nullopt;
}

bool ChangesState(Operation op) {
  switch (op) {
    case Operation::kKeysManage:
    case Operation::kTokensManage:
    case Operation::kMfcertsManage:
    case Operation::kVaultAdmin:
    case Operation::kSessionsManage:
    case Operation::kTokensCreate:
    case Operation::kKeysEnroll:
    case Operation::kDropoffManage:
      return true;
    // A token call may refresh the session's tokens in KSeF; the broker
    // audits each KSeF call itself, so no intent event per token call.
    case Operation::kSessionsToken:
    case Operation::kSessionsRead:
    case Operation::kKeysRead:
    case Operation::kTokensRead:
    case Operation::kAuthXades:
    case Operation::kAuthToken:
    case Operation::kQrOffline:
    case Operation::kAuditRead:
      return false;
  }
  return true;  // an operation added without a case: be safe
}

absl::Span<const absl::string_view> KnownContextTypes() {
  return kContextTypes;
}

}  // namespace sejf::server
