#include "tests/authz_matrix_columns.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sejf::testing::authz {
namespace {

using server::Operation;
using server::OperationName;

// The operations the read-only column holds.
const std::set<Operation> kReadOperations = {
    Operation::kKeysRead, Operation::kTokensRead, Operation::kAuditRead,
    Operation::kSessionsRead};

constexpr char kOtherNipIdentity[] = "matrix-other-nip";
constexpr char kOtherCredentialIdentity[] = "matrix-other-credential";
constexpr char kReadOnlyIdentity[] = "matrix-read-only";

// The allowed column's identity for `m`: a rule granting exactly its
// operation, scoped to the tenant's NIP and credentials unless the request
// is whole-vault (which only an unscoped rule grants).
std::string AllowedIdentity(const MethodCase& m) {
  if (!m.operation) return kNoRuleIdentity;
  return absl::StrCat(
      m.target == Target::kWholeVault ? "matrix-anywhere-" : "matrix-only-",
      OperationName(*m.operation));
}

}  // namespace

const char* ColumnName(Column c) {
  switch (c) {
    case Column::kNoCertificate:
      return "no-cert";
    case Column::kForeignCa:
      return "foreign-ca";
    case Column::kNoRule:
      return "no-rule";
    case Column::kOtherNip:
      return "other-nip";
    case Column::kOtherCredential:
      return "other-cred";
    case Column::kReadOnly:
      return "read-only";
    case Column::kAllowed:
      return "allowed";
  }
  return "?";
}

std::string IdentityOf(Column c, const MethodCase& m) {
  switch (c) {
    case Column::kNoRule:
      return kNoRuleIdentity;
    case Column::kOtherNip:
      return kOtherNipIdentity;
    case Column::kOtherCredential:
      return kOtherCredentialIdentity;
    case Column::kReadOnly:
      return kReadOnlyIdentity;
    case Column::kAllowed:
      return AllowedIdentity(m);
    default:
      return "";
  }
}

bool RuleAllows(Column c, const MethodCase& m) {
  if (m.target == Target::kAnyCaller) return true;
  switch (c) {
    case Column::kOtherNip:
      return m.target == Target::kListing || m.target == Target::kCredential;
    case Column::kOtherCredential:
      return m.target == Target::kListing;
    case Column::kReadOnly:
      return m.target != Target::kWholeVault &&
             kReadOperations.contains(*m.operation);
    case Column::kAllowed:
      return true;
    default:
      return false;
  }
}

std::string PolicyConfig() {
  auto rule = [](absl::string_view name, const std::vector<std::string>& ops,
                 absl::string_view contexts, absl::string_view credentials) {
    return absl::StrCat("[[policy]]\nname = \"", name, "\"\nidentities = [\"",
                        name, "\"]\noperations = [\"",
                        absl::StrJoin(ops, "\", \""), "\"]\ncontexts = [\"",
                        contexts, "\"]\ncredentials = [\"", credentials,
                        "\"]\n\n");
  };
  std::string config =
      rule(kOtherNipIdentity, {"*"}, kOtherContext, "acme-*") +
      rule(kOtherCredentialIdentity, {"*"}, kTenantContext, "other-*");
  std::vector<std::string> reads;
  for (Operation op : kReadOperations) {
    reads.emplace_back(OperationName(op));
  }
  config += rule(kReadOnlyIdentity, reads, kTenantContext, "acme-*");
  for (Operation op : server::AllOperations()) {
    const std::string name(OperationName(op));
    config += rule(absl::StrCat("matrix-anywhere-", name), {name}, "*", "*");
    // A scoped rule may not name a whole-vault operation.
    if (server::ScopeOf(op) == server::OperationScope::kScoped) {
      config += rule(absl::StrCat("matrix-only-", name), {name}, kTenantContext,
                     "acme-*");
    }
  }
  return config;
}

}  // namespace sejf::testing::authz
