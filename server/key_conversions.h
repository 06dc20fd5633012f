// proto ⇄ domain conversions for sejf.v1.KeyCustody. Enum values a request
// leaves UNSPECIFIED map to nullopt; the adapter decides the default.
#ifndef SEJF_SERVER_KEY_CONVERSIONS_H_
#define SEJF_SERVER_KEY_CONVERSIONS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "hsm/key_store.h"
#include "sejf/v1/key_custody.pb.h"
#include "signer/custody/key_custody.h"
#include "vault/records/key_record.h"

namespace sejf::server {

std::optional<hsm::KeyAlgorithm> AlgorithmFromProto(sejf::v1::KeyAlgorithm a);
std::optional<vault::KeyUsage> UsageFromProto(sejf::v1::KeyUsage u);
std::optional<vault::CredentialState> StateFromProto(
    sejf::v1::CredentialState s);

// Fills `out` from `key`; the certificate's PEM is derived from its DER.
absl::Status KeyToProto(const signer::Key& key, sejf::v1::Key* out);

}  // namespace sejf::server

#endif  // SEJF_SERVER_KEY_CONVERSIONS_H_
