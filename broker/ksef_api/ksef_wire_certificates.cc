#include "broker/ksef_api/ksef_wire_certificates.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"

namespace sejf::broker::wire {
namespace {

using Json = nlohmann::json;

absl::StatusOr<Json> ParseBody(absl::string_view body) {
  Json json = Json::parse(body.begin(), body.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the body (", body.size(), " bytes) is not a JSON object"));
  }
  return json;
}

absl::Status Missing(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", field, "\" is missing or not ", what));
}

const Json* Member(const Json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

absl::StatusOr<std::string> String(const Json& object, const char* name,
                                   absl::string_view path) {
  const Json* value = Member(object, name);
  if (value == nullptr || !value->is_string() ||
      value->get_ref<const std::string&>().empty()) {
    return Missing(path, "a non-empty string");
  }
  return value->get<std::string>();
}

// "" for absent or null.
absl::StatusOr<std::string> OptionalString(const Json& object, const char* name,
                                           absl::string_view path) {
  const Json* value = Member(object, name);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return Missing(path, "a string or null");
  return value->get<std::string>();
}

absl::StatusOr<int> Int(const Json& object, const char* name,
                        absl::string_view path) {
  const Json* value = Member(object, name);
  if (value == nullptr || !value->is_number_integer() ||
      value->get<std::int64_t>() < -1000000000 ||
      value->get<std::int64_t>() > 1000000000) {
    return Missing(path, "an integer");
  }
  return static_cast<int>(value->get<std::int64_t>());
}

absl::StatusOr<absl::Time> Time(const Json& object, const char* name,
                                absl::string_view path) {
  ASSIGN_OR_RETURN(std::string text, String(object, name, path));
  absl::Time time;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, nullptr)) {
    return Missing(path, "a date-time");
  }
  return time;
}

absl::StatusOr<KsefCertificateType> Type(const Json& object, const char* name,
                                         absl::string_view path) {
  ASSIGN_OR_RETURN(std::string text, String(object, name, path));
  if (text == "Authentication") return KsefCertificateType::kAuthentication;
  if (text == "Offline") return KsefCertificateType::kOffline;
  return Missing(path, "Authentication or Offline");
}

absl::StatusOr<std::string> Serial(const Json& object, const char* name,
                                   absl::string_view path) {
  ASSIGN_OR_RETURN(std::string serial, String(object, name, path));
  if (!IsKsefCertificateSerial(serial)) {
    return Missing(path, "16 uppercase hex digits");
  }
  return serial;
}

}  // namespace

absl::string_view CertificateTypeName(KsefCertificateType type) {
  return type == KsefCertificateType::kOffline ? "Offline" : "Authentication";
}

absl::string_view RevocationReasonName(CertificateRevocationReason reason) {
  switch (reason) {
    case CertificateRevocationReason::kSuperseded:
      return "Superseded";
    case CertificateRevocationReason::kKeyCompromise:
      return "KeyCompromise";
    case CertificateRevocationReason::kUnspecified:
      break;
  }
  return "Unspecified";
}

bool IsKsefCertificateSerial(absl::string_view serial) {
  if (serial.size() != 16) return false;
  for (char c : serial) {
    if (!absl::ascii_isdigit(c) && !(c >= 'A' && c <= 'F')) return false;
  }
  return true;
}

std::string EnrollmentRequestJson(const CertificateEnrollmentRequest& request) {
  Json json = {{"certificateName", request.certificate_name},
               {"certificateType", CertificateTypeName(request.type)},
               {"csr", absl::Base64Escape(request.csr_der)}};
  return json.dump();
}

std::string RetrieveRequestJson(const std::vector<std::string>& serials) {
  return Json{{"certificateSerialNumbers", serials}}.dump();
}

std::string RevokeRequestJson(CertificateRevocationReason reason) {
  return Json{{"revocationReason", RevocationReasonName(reason)}}.dump();
}

std::string QueryRequestJson(const CertificateQuery& query) {
  Json json = Json::object();
  if (!query.serial_number.empty()) {
    json["certificateSerialNumber"] = query.serial_number;
  }
  if (!query.status.empty()) json["status"] = query.status;
  return json.dump();
}

absl::StatusOr<CertificateLimits> ParseCertificateLimits(
    absl::string_view body) {
  ASSIGN_OR_RETURN(Json json, ParseBody(body));
  CertificateLimits out;
  const Json* can = Member(json, "canRequest");
  if (can == nullptr || !can->is_boolean()) {
    return Missing("canRequest", "a boolean");
  }
  out.can_request = can->get<bool>();
  const Json* enrollment = Member(json, "enrollment");
  const Json* certificate = Member(json, "certificate");
  if (enrollment == nullptr || !enrollment->is_object()) {
    return Missing("enrollment", "an object");
  }
  if (certificate == nullptr || !certificate->is_object()) {
    return Missing("certificate", "an object");
  }
  ASSIGN_OR_RETURN(out.enrollment_limit,
                   Int(*enrollment, "limit", "enrollment.limit"));
  ASSIGN_OR_RETURN(out.enrollment_remaining,
                   Int(*enrollment, "remaining", "enrollment.remaining"));
  ASSIGN_OR_RETURN(out.certificate_limit,
                   Int(*certificate, "limit", "certificate.limit"));
  ASSIGN_OR_RETURN(out.certificate_remaining,
                   Int(*certificate, "remaining", "certificate.remaining"));
  return out;
}

absl::StatusOr<EnrollmentData> ParseCertificateEnrollmentData(
    absl::string_view body) {
  absl::StatusOr<EnrollmentData> data = ParseEnrollmentDataJson(body);
  if (!data.ok()) return absl::InvalidArgumentError(data.status().message());
  if (data->common_name.empty()) return Missing("commonName", "a string");
  if (data->country_name.empty()) return Missing("countryName", "a string");
  return data;
}

absl::StatusOr<std::string> ParseEnrollmentReference(absl::string_view body) {
  ASSIGN_OR_RETURN(Json json, ParseBody(body));
  ASSIGN_OR_RETURN(std::string reference,
                   String(json, "referenceNumber", "referenceNumber"));
  bool ok = reference.size() <= 64;
  for (char c : reference) ok = ok && (absl::ascii_isalnum(c) || c == '-');
  if (!ok) return Missing("referenceNumber", "letters, digits and '-'");
  return reference;
}

absl::StatusOr<CertificateEnrollmentStatus> ParseCertificateEnrollmentStatus(
    absl::string_view body) {
  ASSIGN_OR_RETURN(Json json, ParseBody(body));
  const Json* status = Member(json, "status");
  if (status == nullptr || !status->is_object()) {
    return Missing("status", "an object");
  }
  CertificateEnrollmentStatus out;
  ASSIGN_OR_RETURN(out.code, Int(*status, "code", "status.code"));
  ASSIGN_OR_RETURN(out.description, OptionalString(*status, "description",
                                                   "status.description"));
  if (const Json* details = Member(*status, "details");
      details != nullptr && details->is_array()) {
    for (const Json& d : *details) {
      if (d.is_string()) out.details.push_back(d.get<std::string>());
    }
  }
  if (out.code == 200) {
    ASSIGN_OR_RETURN(out.serial_number, Serial(json, "certificateSerialNumber",
                                               "certificateSerialNumber"));
  }
  return out;
}

absl::StatusOr<std::vector<RetrievedCertificate>> ParseRetrievedCertificates(
    absl::string_view body) {
  ASSIGN_OR_RETURN(Json json, ParseBody(body));
  const Json* list = Member(json, "certificates");
  if (list == nullptr || !list->is_array()) {
    return Missing("certificates", "an array");
  }
  std::vector<RetrievedCertificate> out;
  for (const Json& item : *list) {
    RetrievedCertificate c;
    ASSIGN_OR_RETURN(std::string b64,
                     String(item, "certificate", "certificates[].certificate"));
    if (!absl::Base64Unescape(b64, &c.der) || c.der.empty()) {
      return Missing("certificates[].certificate", "Base64");
    }
    ASSIGN_OR_RETURN(c.name, OptionalString(item, "certificateName",
                                            "certificates[].certificateName"));
    ASSIGN_OR_RETURN(c.serial_number,
                     Serial(item, "certificateSerialNumber",
                            "certificates[].certificateSerialNumber"));
    ASSIGN_OR_RETURN(c.type, Type(item, "certificateType",
                                  "certificates[].certificateType"));
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<CertificatePage> ParseCertificatePage(absl::string_view body) {
  ASSIGN_OR_RETURN(Json json, ParseBody(body));
  const Json* list = Member(json, "certificates");
  if (list == nullptr || !list->is_array()) {
    return Missing("certificates", "an array");
  }
  CertificatePage out;
  for (const Json& item : *list) {
    CertificateListItem c;
    ASSIGN_OR_RETURN(c.serial_number,
                     Serial(item, "certificateSerialNumber",
                            "certificates[].certificateSerialNumber"));
    ASSIGN_OR_RETURN(c.name,
                     OptionalString(item, "name", "certificates[].name"));
    ASSIGN_OR_RETURN(c.type, Type(item, "type", "certificates[].type"));
    ASSIGN_OR_RETURN(c.status, String(item, "status", "certificates[].status"));
    ASSIGN_OR_RETURN(c.valid_from,
                     Time(item, "validFrom", "certificates[].validFrom"));
    ASSIGN_OR_RETURN(c.valid_to,
                     Time(item, "validTo", "certificates[].validTo"));
    out.certificates.push_back(std::move(c));
  }
  const Json* more = Member(json, "hasMore");
  out.has_more = more != nullptr && more->is_boolean() && more->get<bool>();
  return out;
}

}  // namespace sejf::broker::wire
