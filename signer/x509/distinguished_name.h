// Subject names for KSeF CSRs and certificates, as a person writes them.
//
// Syntax: comma-separated `attr=value` items, e.g.
//
//   CN=Jan Kowalski, SN=Kowalski, GN=Jan, serialNumber=TINPL-5265877635, C=PL
//
// - Attributes (names case-insensitive; the long forms in brackets):
//     CN (commonName)            2.5.4.3   UTF8String, at most 64 characters
//     SN (surname)               2.5.4.4   UTF8String
//     GN (givenName)             2.5.4.42  UTF8String
//     serialNumber               2.5.4.5   PrintableString, at most 64 chars
//     C (countryName)            2.5.4.6   PrintableString, two capital
//                                          letters (ISO 3166, e.g. PL)
//     O (organizationName)       2.5.4.10  UTF8String, at most 64 characters
//     organizationIdentifier     2.5.4.97  UTF8String
//     uniqueIdentifier           2.5.4.45  UTF8String (as the KSeF C# SDK
//                                          writes it, not X.520's BIT STRING)
//   The limits are X.520's upper bounds; the string types are those of the
//   KSeF C# SDK (ksef-protocol.md §6.3).
// - Order is kept: the first item becomes the first RDN of the encoded Name
//   (one attribute per RDN). Note that RFC 4514/2253 strings — and
//   `openssl -nameopt RFC2253` — list RDNs last first, so they show these
//   attributes in reverse. An attribute may repeat.
// - Values are kept byte for byte (UTF-8, no case folding), except that
//   spaces around an item and around '=' are not part of it. Inside a value
//   "\," is a comma and "\\" a backslash; no other escapes. '=' and '+' are
//   ordinary characters in a value.
// - Refused (INVALID_ARGUMENT, naming the attribute or the character
//   position): unknown attributes, empty values, invalid UTF-8, control
//   characters (U+0000–U+001F, U+007F–U+009F), values over their limit,
//   characters outside PrintableString in C and serialNumber, an empty name.
//
// Thread-safety: a DistinguishedName is an immutable value; share freely.
#ifndef SEJF_SIGNER_X509_DISTINGUISHED_NAME_H_
#define SEJF_SIGNER_X509_DISTINGUISHED_NAME_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"

namespace sejf::signer {

enum class DnAttribute {
  kCommonName,
  kSurname,
  kGivenName,
  kSerialNumber,
  kCountryName,
  kOrganizationName,
  kOrganizationIdentifier,
  kUniqueIdentifier,
};

// The short name used in DN strings: "CN", "SN", "GN", "serialNumber", "C",
// "O", "organizationIdentifier", "uniqueIdentifier".
absl::string_view DnAttributeName(DnAttribute attribute);

struct DnEntry {
  DnAttribute attribute = DnAttribute::kCommonName;
  std::string value;  // UTF-8

  friend bool operator==(const DnEntry&, const DnEntry&) = default;
};

class DistinguishedName {
 public:
  // Parses the syntax above.
  static absl::StatusOr<DistinguishedName> Parse(absl::string_view text);

  // From entries already split (e.g. KSeF enrollment data); the same value
  // rules apply. INVALID_ARGUMENT when `entries` is empty or a value breaks
  // a rule.
  static absl::StatusOr<DistinguishedName> FromEntries(
      std::vector<DnEntry> entries);

  // Never empty.
  const std::vector<DnEntry>& entries() const { return entries_; }

  // The name in the syntax above, with short attribute names, "," between
  // items and ',' and '\' escaped: Parse(ToString()) gives this name again.
  std::string ToString() const;

  // The X.509 Name: one RDN per entry, in order, with the string types
  // above. INTERNAL only when OpenSSL fails.
  absl::StatusOr<X509NamePtr> ToX509Name() const;

  friend bool operator==(const DistinguishedName&,
                         const DistinguishedName&) = default;

 private:
  explicit DistinguishedName(std::vector<DnEntry> entries)
      : entries_(std::move(entries)) {}

  std::vector<DnEntry> entries_;
};

// Checks one value against the rules of its attribute. INVALID_ARGUMENT
// naming the attribute otherwise.
absl::Status ValidateDnValue(DnAttribute attribute, absl::string_view value);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_DISTINGUISHED_NAME_H_
