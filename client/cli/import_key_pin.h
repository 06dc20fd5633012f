// The import key as the CLI uses it (issue 15, docs/import.md): fetched
// from sejfd, its fingerprint checked against the key's own bytes and, when
// the user pinned one with --import-key-fingerprint, against the pin.
//
// Thread-safety: not thread-safe (writes to stderr).
#ifndef SEJF_CLIENT_CLI_IMPORT_KEY_PIN_H_
#define SEJF_CLIENT_CLI_IMPORT_KEY_PIN_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/client.h"
#include "client/key_types.h"

namespace sejf::client::cli {

// The import key of the sejfd `client` talks to. `pinned`: empty, or the
// fingerprint the user expects (NormalizeImportKeyFingerprint's forms);
// without a pin, the fingerprint is shown on stderr so it can be compared
// out of band and pinned next time. Errors: the server's; INVALID_ARGUMENT
// for a malformed pin; PERMISSION_DENIED, sending nothing, when sejfd's key
// is not the pinned one (or its fingerprint is not its own).
absl::StatusOr<ImportKeyInfo> FetchImportKey(Client& client,
                                             const std::string& pinned);

}  // namespace sejf::client::cli

#endif  // SEJF_CLIENT_CLI_IMPORT_KEY_PIN_H_
