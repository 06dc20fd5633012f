// The columns of the authorization matrix (authz_matrix_e2e_test.cc): the
// callers, the policy rules sejfd is started with (PolicyConfig), and which
// rows each caller's rule allows (RuleAllows).
//
//   no-cert     TLS without a client certificate: refused at the handshake
//   foreign-ca  CN=admin from another CA: refused at the handshake
//   no-rule     a dev CA identity no rule names: only methods without an
//               operation
//   other-nip   every operation, in kOtherContext, on acme-*: what is not
//               done in a context (keys, listings)
//   other-cred  every operation, in kTenantContext, on other-*: listings
//   read-only   keys.read, tokens.read, audit.read, sessions.read, in
//               kTenantContext, on acme-*: reads in that scope
//   allowed     exactly the row's operation, in kTenantContext, on acme-*
//               (unscoped for a whole-vault request): the row
//
// Each identity (certificate CN) has a rule of the same name.
#ifndef SEJF_TESTS_AUTHZ_MATRIX_COLUMNS_H_
#define SEJF_TESTS_AUTHZ_MATRIX_COLUMNS_H_

#include <string>

#include "tests/authz_matrix_table.h"

namespace sejf::testing::authz {

enum class Column {
  kNoCertificate,
  kForeignCa,
  kNoRule,
  kOtherNip,
  kOtherCredential,
  kReadOnly,
  kAllowed,
};

inline constexpr Column kHandshakeColumns[] = {Column::kNoCertificate,
                                               Column::kForeignCa};
inline constexpr Column kIdentityColumns[] = {
    Column::kNoRule, Column::kOtherNip, Column::kOtherCredential,
    Column::kReadOnly, Column::kAllowed};

inline constexpr char kNoRuleIdentity[] = "matrix-no-rule";

// "no-cert", "other-nip", …
const char* ColumnName(Column c);

// The identity calling `m` in column `c` (an identity column); the allowed
// column's depends on the row's operation.
std::string IdentityOf(Column c, const MethodCase& m);

// Whether the rule of identity column `c` allows `m`.
bool RuleAllows(Column c, const MethodCase& m);

// The [[policy]] rules of every identity column, as TOML.
std::string PolicyConfig();

}  // namespace sejf::testing::authz

#endif  // SEJF_TESTS_AUTHZ_MATRIX_COLUMNS_H_
