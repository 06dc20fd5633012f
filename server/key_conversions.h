// proto ⇄ domain conversions for sejf.v1.KeyCustody. The enum conversions
// map a known value and give nullopt for anything else (UNSPECIFIED
// included); the adapter applies the rule of enum_conversions.h.
//
// Thread-safety: pure functions.
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

// Fills `out` from `key`; the certificate's PEM is derived from its DER.
absl::Status KeyToProto(const signer::Key& key, sejf::v1::Key* out);

}  // namespace sejf::server

#endif  // SEJF_SERVER_KEY_CONVERSIONS_H_
