// The naming rule shared by keys and tokens: `[a-z0-9][a-z0-9._-]{0,63}`.
// Names appear in resource names ("keys/{name}"), policy rules, PKCS#11
// labels, logs and audit events, so the rule keeps them short, printable and
// free of glob and URI metacharacters.
#ifndef SEJF_VAULT_RECORDS_CREDENTIAL_NAME_H_
#define SEJF_VAULT_RECORDS_CREDENTIAL_NAME_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sejf::vault {

inline constexpr size_t kMaxCredentialNameSize = 64;

// OK when `name` follows the rule; otherwise INVALID_ARGUMENT naming `field`
// (e.g. "key name") and saying what is allowed. The name is quoted in the
// message only when it is printable ASCII.
absl::Status ValidateCredentialName(absl::string_view name,
                                    absl::string_view field);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_RECORDS_CREDENTIAL_NAME_H_
