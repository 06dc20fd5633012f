// For tests only: independent views of an XML document sejf produced —
// libxml2's exclusive canonicalisation of its parts, validation against the
// official KSeF schema, and `xmlsec1 --verify`.
//
// Not thread-safe (libxml2's global error handler, files, child processes).
#ifndef SEJF_SIGNER_KSEF_TESTING_XML_TESTING_H_
#define SEJF_SIGNER_KSEF_TESTING_XML_TESTING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "signer/ksef/auth_token_request.h"

namespace sejf::signer::testing {

enum class XmlPart {
  // The whole document minus the ds:Signature element (what Reference URI=""
  // with the enveloped-signature transform covers).
  kDocumentWithoutSignature,
  // The ds:SignedInfo subtree (what the signature value covers).
  kSignedInfo,
  // The xades:SignedProperties subtree (Reference #SignedProperties).
  kSignedProperties,
};

// libxml2's exclusive C14N 1.0 (no comments) of `part` of `xml`, through
// xmlC14NExecute with a visibility callback selecting the part.
// INVALID_ARGUMENT when the document does not parse or lacks the part.
absl::StatusOr<std::string> LibxmlExclusiveC14n(absl::string_view xml,
                                                XmlPart part);

// Validates `xml` without its ds:Signature element (which the schema does
// not declare) against the official schema of `ns` (signer/ksef/testdata;
// for 2.0 the 2.1 schema with its namespace rewritten; the ^ and $ of the
// PeppolId and NipVatUe patterns, literal characters in XML Schema, dropped:
// see the README there). OK, or INVALID_ARGUMENT with libxml2's messages.
absl::Status ValidateAgainstKsefSchema(absl::string_view xml,
                                       AuthTokenNamespace ns);

// Runs `xmlsec1 --verify` on `xml` with `certificate_pem` as the only trust
// anchor, Id attributes of SignedProperties registered, and only same-
// document references allowed. OK when it prints "OK"; otherwise
// INVALID_ARGUMENT with its output.
absl::Status XmlsecVerify(absl::string_view xml,
                          absl::string_view certificate_pem);

}  // namespace sejf::signer::testing

#endif  // SEJF_SIGNER_KSEF_TESTING_XML_TESTING_H_
