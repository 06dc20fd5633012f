// Resource names of the API (Google API design: "keys/{key}",
// "tokens/{token}") ⇄ the domain's credential names. The adapters' one
// parser: the domain knows names only, never resource paths.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_SERVER_RESOURCE_NAMES_H_
#define SEJF_SERVER_RESOURCE_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::server {

// The {name} of a resource name "keys/{name}"; INVALID_ARGUMENT naming the
// request field `field` when `resource` is not one, or when {name} breaks
// the credential naming rule (vault/records/credential_name.h).
absl::StatusOr<std::string> KeyNameFromResource(absl::string_view resource,
                                                absl::string_view field);

// The same for "tokens/{name}".
absl::StatusOr<std::string> TokenNameFromResource(absl::string_view resource,
                                                  absl::string_view field);

// The same for "sessions/{name}" (the session-name rule is the credential
// name rule).
absl::StatusOr<std::string> SessionNameFromResource(absl::string_view resource,
                                                    absl::string_view field);

}  // namespace sejf::server

#endif  // SEJF_SERVER_RESOURCE_NAMES_H_
