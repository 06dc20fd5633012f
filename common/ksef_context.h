// KSeF context identifiers: the "in whose name" of every KSeF operation.
//
// Text form (policy rules, CLI flags, token records, audit events):
//   nip:NIP                 NIP: 10 digits, XSD TNIP pattern and the NIP
//   checksum internal-id:NIP-DDDDD   XSD TIID: a valid NIP, '-', 5 digits
//   nip-vat-ue:NIP-CCVAT    XSD TNipVatUE: a valid NIP, '-', an EU VAT number
//                           with its country prefix (the per-country VIES
//                           rules)
//   peppol-id:PXXNNNNNN     XSD TPeppolId: 'P', 2 upper-case letters, 6 digits
//
// The KSeF names of the types ("Nip", "InternalId", "NipVatUe", "PeppolId")
// are the XML element names of AuthTokenRequest/ContextIdentifier, the JSON
// `contextIdentifier.type` values and the `ctxType` of QR code II.
//
// Thread-safety: pure functions and a value type.
#ifndef SEJF_COMMON_KSEF_CONTEXT_H_
#define SEJF_COMMON_KSEF_CONTEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf {

enum class KsefContextType { kNip, kInternalId, kNipVatUe, kPeppolId };

struct KsefContext {
  KsefContextType type = KsefContextType::kNip;
  std::string value = {};  // e.g. "5265877635", "5265877635-12345"

  // The text form, e.g. "nip:5265877635".
  std::string ToString() const;
  bool operator==(const KsefContext&) const = default;
};

// "Nip", "InternalId", "NipVatUe", "PeppolId".
absl::string_view KsefContextTypeName(KsefContextType type);
// "nip", "internal-id", "nip-vat-ue", "peppol-id".
absl::string_view KsefContextTypePrefix(KsefContextType type);

// Parses the text form. INVALID_ARGUMENT naming `field` and saying what is
// expected when the prefix is unknown or the value breaks its rule.
absl::StatusOr<KsefContext> ParseKsefContext(absl::string_view text,
                                             absl::string_view field);

// Builds a context from a KSeF type name ("Nip", ...) and value, validated as
// ParseKsefContext does.
absl::StatusOr<KsefContext> MakeKsefContext(absl::string_view type_name,
                                            absl::string_view value,
                                            absl::string_view field);

// OK when `nip` is 10 digits matching the XSD TNIP pattern with a correct
// checksum (weights 6,5,7,2,3,4,5,6,7; sum mod 11 equals the last digit).
absl::Status ValidateNip(absl::string_view nip, absl::string_view field);

}  // namespace sejf

#endif  // SEJF_COMMON_KSEF_CONTEXT_H_
