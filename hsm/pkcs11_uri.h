// RFC 7512 "pkcs11:" URIs, the standard way to name a key in a token.
//
//   FormatPkcs11Uri("sejf", "acme-auth", id)
//     -> "pkcs11:token=sejf;object=acme-auth;id=%5A%01...;type=private"
//
// Formatting percent-encodes every byte outside RFC 3986's unreserved set
// (A-Z a-z 0-9 - . _ ~) in the token and object labels, and every byte of
// the id, as RFC 7512 recommends for binary ids.
//
// Parsing accepts the path attributes of RFC 7512 §2.3 (token, object, id,
// type, manufacturer, model, serial, library-*, slot-*) and vendor "x-"
// attributes (ignored), each at most once, values percent-decoded; and the
// query attributes module-name, module-path and pin-source (ignored: the
// store is bound to one module and takes its PIN from the configuration).
// "pin-value" is refused: sejf never takes a PIN from a URI, which would put
// a secret into configuration strings and logs.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_HSM_PKCS11_URI_H_
#define SEJF_HSM_PKCS11_URI_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::hsm {

// The attributes of a parsed URI that name an object. An attribute that is
// absent is nullopt; one given with an empty value ("object=") is "".
struct Pkcs11Uri {
  std::optional<std::string> token;   // the token label (CK_TOKEN_INFO)
  std::optional<std::string> object;  // CKA_LABEL
  std::optional<std::string> id;      // CKA_ID, raw bytes
  std::optional<std::string> type;    // public|private|cert|secret-key|data
  std::optional<std::string> serial;  // the token serial number

  friend bool operator==(const Pkcs11Uri&, const Pkcs11Uri&) = default;
};

// "pkcs11:token=<token_label>;object=<object_label>;id=<id>;type=private",
// with the encoding described above. The object attribute is left out when
// `object_label` is empty.
std::string FormatPkcs11Uri(absl::string_view token_label,
                            absl::string_view object_label,
                            absl::string_view id);

// Parses `uri`. The scheme is matched case-insensitively, attribute names
// exactly. Errors (INVALID_ARGUMENT, saying what is wrong and where, never
// quoting a pin-value): not starting with "pkcs11:"; an attribute without
// '='; an unknown or repeated attribute; a malformed percent escape; a
// character that must be percent-encoded (e.g. a space); an unknown type;
// a pin-value; a fragment ('#').
absl::StatusOr<Pkcs11Uri> ParsePkcs11Uri(absl::string_view uri);

}  // namespace sejf::hsm

#endif  // SEJF_HSM_PKCS11_URI_H_
