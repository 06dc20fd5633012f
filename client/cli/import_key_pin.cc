#include "client/cli/import_key_pin.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/import_wrap.h"
#include "common/status_macros.h"

namespace sejf::client::cli {

absl::StatusOr<ImportKeyInfo> FetchImportKey(Client& client,
                                             const std::string& pinned) {
  std::string pin;
  if (!pinned.empty()) {
    absl::StatusOr<std::string> normalized =
        NormalizeImportKeyFingerprint(pinned);
    if (!normalized.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--import-key-fingerprint: ", normalized.status().message()));
    }
    pin = *normalized;
  }
  ASSIGN_OR_RETURN(ImportKeyInfo info, client.keys().GetImportKey());
  // Computed here: the server's claimed fingerprint is not trusted.
  const std::string actual = ImportKeyFingerprint(info.public_key_der);
  if (actual != info.fingerprint) {
    return absl::PermissionDeniedError(
        "sejfd's import key does not match the fingerprint it reports; "
        "nothing was sent");
  }
  if (!pin.empty() && pin != actual) {
    return absl::PermissionDeniedError(absl::StrCat(
        "sejfd's import key has fingerprint ", actual, ", not the pinned ", pin,
        "; nothing was sent (a different sejfd, or someone in between)"));
  }
  if (pin.empty()) {
    std::cerr << "sejf: encrypting to sejfd's import key, SHA-256 " << actual
              << " (pin it with --import-key-fingerprint)\n";
  }
  return info;
}

}  // namespace sejf::client::cli
