// KSeF's wire formats for the token endpoints (ksef-protocol.md §8; the
// shapes of shared/ksef/open-api.json, tag "Tokeny KSeF"):
//   POST /tokens                 {permissions: [..], description}
//                                → 202 {referenceNumber, token}
//   GET /tokens/{ref}            → 200 TokenStatusResponse {referenceNumber,
//                                  authorIdentifier, contextIdentifier:
//                                  {type, value}, description,
//                                  requestedPermissions, dateCreated,
//                                  lastUseDate?, status, statusDetails?}
//   DELETE /tokens/{ref}         → 204
// The token of the 202 is parsed in zeroing memory and leaves only into a
// SecretBytes. Parse errors name the field, never a value.
//
// Thread-safety: pure functions.
#ifndef SEJF_BROKER_KSEF_API_KSEF_WIRE_TOKENS_H_
#define SEJF_BROKER_KSEF_API_KSEF_WIRE_TOKENS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/ksef_api/ksef_api.h"
#include "common/secret.h"

namespace sejf::broker::wire {

// The JSON body of POST /tokens.
std::string GenerateTokenBody(const KsefTokenRequest& request);

// INVALID_ARGUMENT naming the field that does not match the documented
// shape; the caller turns it into INTERNAL naming the endpoint.
absl::StatusOr<GeneratedKsefToken> ParseGeneratedToken(const SecretBytes& body);
absl::StatusOr<KsefTokenStatus> ParseTokenStatus(const SecretBytes& body);

// INVALID_ARGUMENT unless `reference` is a KSeF reference number (36
// letters, digits and '-').
absl::Status CheckTokenReference(absl::string_view reference);

}  // namespace sejf::broker::wire

#endif  // SEJF_BROKER_KSEF_API_KSEF_WIRE_TOKENS_H_
