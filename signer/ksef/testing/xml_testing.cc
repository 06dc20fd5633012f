#include "signer/ksef/testing/xml_testing.h"

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "hsm/testing/softhsm_testing.h"
#include "signer/x509/testing/openssl_cli.h"

#ifndef SEJF_KSEF_TESTDATA_DIR
#error "SEJF_KSEF_TESTDATA_DIR must name signer/ksef/testdata"
#endif

namespace sejf::signer::testing {
namespace {

constexpr char kDsNs[] = "http://www.w3.org/2000/09/xmldsig#";
constexpr char kXadesNs[] = "http://uri.etsi.org/01903/v1.3.2#";

struct DocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

DocPtr Parse(absl::string_view xml) {
  return DocPtr(xmlReadMemory(
      xml.data(), static_cast<int>(xml.size()), "document.xml", nullptr,
      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

xmlNode* FindElement(xmlNode* node, const char* ns, const char* name) {
  for (; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    if (node->ns != nullptr && xmlStrEqual(node->ns->href, BAD_CAST ns) &&
        xmlStrEqual(node->name, BAD_CAST name)) {
      return node;
    }
    if (xmlNode* found = FindElement(node->children, ns, name)) return found;
  }
  return nullptr;
}

struct Selection {
  xmlNode* target;
  bool inside;  // true: only the target's subtree; false: all but it
};

int IsVisible(void* user_data, xmlNode* node, xmlNode* parent) {
  const auto* selection = static_cast<const Selection*>(user_data);
  // Namespace nodes are xmlNs, not xmlNode: their element is `parent`.
  xmlNode* n = node->type == XML_NAMESPACE_DECL ? parent : node;
  bool in_target = false;
  for (xmlNode* p = n; p != nullptr; p = p->parent) {
    if (p == selection->target) {
      in_target = true;
      break;
    }
    if (p->type == XML_DOCUMENT_NODE) break;
  }
  return in_target == selection->inside ? 1 : 0;
}

std::string g_errors;  // libxml2's messages of the current validation

void CollectError(void*, xmlError* error) {
  if (error != nullptr && error->message != nullptr) {
    absl::StrAppend(&g_errors, error->message);
  }
}

}  // namespace

absl::StatusOr<std::string> LibxmlExclusiveC14n(absl::string_view xml,
                                                XmlPart part) {
  DocPtr doc = Parse(xml);
  if (!doc) return absl::InvalidArgumentError("the document does not parse");
  xmlNode* root = xmlDocGetRootElement(doc.get());
  Selection selection{nullptr, true};
  switch (part) {
    case XmlPart::kDocumentWithoutSignature:
      selection = {FindElement(root, kDsNs, "Signature"), false};
      break;
    case XmlPart::kSignedInfo:
      selection = {FindElement(root, kDsNs, "SignedInfo"), true};
      break;
    case XmlPart::kSignedProperties:
      selection = {FindElement(root, kXadesNs, "SignedProperties"), true};
      break;
  }
  if (selection.target == nullptr) {
    return absl::InvalidArgumentError("the document lacks the part");
  }
  xmlOutputBuffer* buffer = xmlAllocOutputBuffer(nullptr);
  const int written =
      xmlC14NExecute(doc.get(), IsVisible, &selection, XML_C14N_EXCLUSIVE_1_0,
                     nullptr, /*with_comments=*/0, buffer);
  std::string out;
  if (written >= 0) {
    out.assign(reinterpret_cast<const char*>(xmlOutputBufferGetContent(buffer)),
               xmlOutputBufferGetSize(buffer));
  }
  xmlOutputBufferClose(buffer);
  if (written < 0) return absl::InternalError("xmlC14NExecute failed");
  return out;
}

absl::Status ValidateAgainstKsefSchema(absl::string_view xml,
                                       AuthTokenNamespace ns) {
  std::string schema_text =
      ReadFileOrEmpty(SEJF_KSEF_TESTDATA_DIR "/schemat_auth_v2-1.xsd");
  if (schema_text.empty()) return absl::InternalError("no schema file");
  // In XML Schema regexes ^ and $ are ordinary characters, so read
  // strictly the TPeppolId and TNipVatUE patterns ("^P…$", "…$") match no
  // real value; KSeF (.NET) reads them as anchors. Drop them, as meant.
  schema_text = absl::StrReplaceAll(
      schema_text,
      {{"pattern value=\"^", "pattern value=\""}, {"$\"/>", "\"/>"}});
  if (ns == AuthTokenNamespace::kV2_0) {
    schema_text = absl::StrReplaceAll(
        schema_text, {{"http://ksef.mf.gov.pl/auth/token/2.1",
                       "http://ksef.mf.gov.pl/auth/token/2.0"}});
  }
  g_errors.clear();
  xmlSetStructuredErrorFunc(nullptr, CollectError);
  xmlSchemaParserCtxt* parser_ctx = xmlSchemaNewMemParserCtxt(
      schema_text.data(), static_cast<int>(schema_text.size()));
  xmlSchema* schema = xmlSchemaParse(parser_ctx);
  xmlSchemaFreeParserCtxt(parser_ctx);
  absl::Status result;
  DocPtr doc = Parse(xml);
  if (schema == nullptr) {
    result = absl::InternalError(absl::StrCat("schema: ", g_errors));
  } else if (!doc) {
    result = absl::InvalidArgumentError("the document does not parse");
  } else {
    xmlNode* root = xmlDocGetRootElement(doc.get());
    for (xmlNode* child = root->children; child != nullptr;) {
      xmlNode* next = child->next;
      if (child->type == XML_ELEMENT_NODE && child->ns != nullptr &&
          xmlStrEqual(child->ns->href, BAD_CAST kDsNs) &&
          xmlStrEqual(child->name, BAD_CAST "Signature")) {
        xmlUnlinkNode(child);
        xmlFreeNode(child);
      }
      child = next;
    }
    xmlSchemaValidCtxt* valid_ctx = xmlSchemaNewValidCtxt(schema);
    const int rc = xmlSchemaValidateDoc(valid_ctx, doc.get());
    xmlSchemaFreeValidCtxt(valid_ctx);
    if (rc != 0) {
      result = absl::InvalidArgumentError(
          absl::StrCat("not valid against the schema: ", g_errors));
    }
  }
  if (schema != nullptr) xmlSchemaFree(schema);
  xmlSetStructuredErrorFunc(nullptr, nullptr);
  return result;
}

absl::Status XmlsecVerify(absl::string_view xml,
                          absl::string_view certificate_pem) {
  ScratchDir dir;
  const std::string doc = dir.Write("signed.xml", std::string(xml));
  const std::string cert = dir.Write("cert.pem", std::string(certificate_pem));
  absl::StatusOr<std::string> out = hsm::testing::RunCommand(absl::StrCat(
      "xmlsec1 --verify --trusted-pem '", cert,
      "' --id-attr:Id 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties' "
      "--enabled-reference-uris empty,same-doc '",
      doc, "'"));
  if (!out.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("xmlsec1 refused: ", out.status().message()));
  }
  if (!absl::StrContains(*out, "OK\n") ||
      !absl::StrContains(*out, "SignedInfo References (ok/all): 2/2")) {
    return absl::InvalidArgumentError(
        absl::StrCat("xmlsec1 did not say OK with 2/2 references: ", *out));
  }
  return absl::OkStatus();
}

}  // namespace sejf::signer::testing
