// Key versions: one credential name, several HSM keys over time (renewal,
// docs/lifecycle-certificates.md "Versions and renewal").
//
// Version 1 of key NAME is the key NAME itself, exactly as before versions
// existed (no migration). Version k ≥ 2 is a key of its own — its own key
// record (kind "keys") and HSM key pair (CKA_LABEL "sejf-key/NAME@k") —
// named KeyVersionName(NAME, k) = "NAME@k". No client can choose such a
// name ('@' is outside the credential-name rule), so versions are made only
// by KeyCustody::GenerateVersion. The key record of version 1 carries
// `latest_version`, the highest number reserved (vault/records/key_record.h);
// a number reserved by a renewal that stopped before its key existed is
// skipped, never reused.
//
// Policy, signers and sessions name the credential (NAME); KeyCustody::
// UsableFor(NAME) signs with the newest version that is usable now (active,
// the usage, certificate valid).
#ifndef SEJF_SIGNER_CUSTODY_KEY_VERSIONS_H_
#define SEJF_SIGNER_CUSTODY_KEY_VERSIONS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sejf::signer {

// "NAME" for version 1, "NAME@k" for k ≥ 2.
std::string KeyVersionName(absl::string_view base, int version);

struct KeyVersionRef {
  std::string base;  // the credential name
  int version = 1;
};

// "NAME" → {NAME, 1}; "NAME@k" → {NAME, k} (2 ≤ k ≤ vault::kMaxKeyVersion,
// no leading zero); nullopt when `name` is neither (the base part is checked
// against the credential-name rule).
std::optional<KeyVersionRef> ParseKeyVersionName(absl::string_view name);

// OK for a credential name or a version's name; INVALID_ARGUMENT naming
// `field` otherwise.
absl::Status ValidateKeyName(absl::string_view name, absl::string_view field);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_CUSTODY_KEY_VERSIONS_H_
