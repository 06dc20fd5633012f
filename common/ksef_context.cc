#include "common/ksef_context.h"

#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sejf {
namespace {

struct TypeInfo {
  KsefContextType type;
  absl::string_view name;
  absl::string_view prefix;
  absl::string_view expected;  // for error messages
};

constexpr TypeInfo kTypes[] = {
    {KsefContextType::kNip, "Nip", "nip", "a 10-digit NIP"},
    {KsefContextType::kInternalId, "InternalId", "internal-id",
     "NIP-DDDDD (a NIP, '-', 5 digits)"},
    {KsefContextType::kNipVatUe, "NipVatUe", "nip-vat-ue",
     "NIP-CCNUMBER (a NIP, '-', an EU VAT number with its country prefix)"},
    {KsefContextType::kPeppolId, "PeppolId", "peppol-id",
     "P, 2 capital letters, 6 digits (e.g. PPL123456)"},
};

const TypeInfo& InfoOf(KsefContextType type) {
  for (const TypeInfo& info : kTypes) {
    if (info.type == type) return info;
  }
  return kTypes[0];
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The XSD TNipVatUE pattern after "NIP-" (VIES rules, per country).
bool IsEuVatNumber(absl::string_view vat) {
  static const std::regex* const kPattern = new std::regex(
      "(AT)(U\\d{8})|(BE)([01]{1}\\d{9})|(BG)(\\d{9,10})|(CY)(\\d{8}[A-Z])|"
      "(CZ)(\\d{8,10})|(DE)(\\d{9})|(DK)(\\d{8})|(EE)(\\d{9})|(EL)(\\d{9})|"
      "(ES)([A-Z]\\d{8}|\\d{8}[A-Z]|[A-Z]\\d{7}[A-Z])|(FI)(\\d{8})|"
      "(FR)[A-Z0-9]{2}\\d{9}|(HR)(\\d{11})|(HU)(\\d{8})|"
      "(IE)(\\d{7}[A-Z]{2}|\\d[A-Z0-9+*]\\d{5}[A-Z])|(IT)(\\d{11})|"
      "(LT)(\\d{9}|\\d{12})|(LU)(\\d{8})|(LV)(\\d{11})|(MT)(\\d{8})|"
      "(NL)([A-Z0-9+*]{12})|(PT)(\\d{9})|(RO)(\\d{2,10})|(SE)(\\d{12})|"
      "(SI)(\\d{8})|(SK)(\\d{10})|(XI)((\\d{9}|(\\d{12}))|(GD|HA)(\\d{3}))",
      std::regex::ECMAScript | std::regex::optimize);
  return vat.size() <= 16 &&
         std::regex_match(vat.begin(), vat.end(), *kPattern);
}

bool IsPeppolId(absl::string_view v) {
  return v.size() == 9 && v[0] == 'P' && absl::ascii_isupper(v[1]) &&
         absl::ascii_isupper(v[2]) && AllDigits(v.substr(3));
}

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status ValidateValue(const TypeInfo& info, absl::string_view value,
                           absl::string_view field) {
  const std::string expected = absl::StrCat(
      "a ", info.prefix, " context must be ", info.prefix, ":", info.expected);
  switch (info.type) {
    case KsefContextType::kNip:
      return ValidateNip(value, field);
    case KsefContextType::kInternalId: {
      const auto dash = value.find('-');
      if (dash == absl::string_view::npos) return Invalid(field, expected);
      absl::Status nip = ValidateNip(value.substr(0, dash), field);
      if (!nip.ok()) return nip;
      const absl::string_view suffix = value.substr(dash + 1);
      if (suffix.size() != 5 || !AllDigits(suffix)) {
        return Invalid(field, expected);
      }
      return absl::OkStatus();
    }
    case KsefContextType::kNipVatUe: {
      const auto dash = value.find('-');
      if (dash == absl::string_view::npos) return Invalid(field, expected);
      absl::Status nip = ValidateNip(value.substr(0, dash), field);
      if (!nip.ok()) return nip;
      if (!IsEuVatNumber(value.substr(dash + 1))) {
        return Invalid(field, absl::StrCat(expected,
                                           "; the EU VAT number does not "
                                           "match its country's format"));
      }
      return absl::OkStatus();
    }
    case KsefContextType::kPeppolId:
      if (!IsPeppolId(value)) return Invalid(field, expected);
      return absl::OkStatus();
  }
  return Invalid(field, "unknown context type");
}

}  // namespace

std::string KsefContext::ToString() const {
  return absl::StrCat(KsefContextTypePrefix(type), ":", value);
}

absl::string_view KsefContextTypeName(KsefContextType type) {
  return InfoOf(type).name;
}

absl::string_view KsefContextTypePrefix(KsefContextType type) {
  return InfoOf(type).prefix;
}

absl::Status ValidateNip(absl::string_view nip, absl::string_view field) {
  if (nip.size() != 10 || !AllDigits(nip)) {
    return Invalid(field, "a NIP must be exactly 10 digits");
  }
  // XSD TNIP: [1-9]((\d[1-9])|([1-9]\d))\d{7}
  if (nip[0] == '0' || (nip[1] == '0' && nip[2] == '0')) {
    return Invalid(field,
                   "not a valid NIP (it may not start with 0 and its "
                   "2nd and 3rd digits may not both be 0)");
  }
  static constexpr int kWeights[9] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += kWeights[i] * (nip[i] - '0');
  if (sum % 11 != nip[9] - '0') {
    return Invalid(field,
                   "not a valid NIP (its check digit is wrong: check "
                   "for a typo)");
  }
  return absl::OkStatus();
}

absl::StatusOr<KsefContext> ParseKsefContext(absl::string_view text,
                                             absl::string_view field) {
  const auto colon = text.find(':');
  if (colon != absl::string_view::npos) {
    const absl::string_view prefix = text.substr(0, colon);
    for (const TypeInfo& info : kTypes) {
      if (info.prefix != prefix) continue;
      const absl::string_view value = text.substr(colon + 1);
      absl::Status valid = ValidateValue(info, value, field);
      if (!valid.ok()) return valid;
      return KsefContext{.type = info.type, .value = std::string(value)};
    }
  }
  return Invalid(field,
                 "a KSeF context must be nip:NIP, internal-id:NIP-DDDDD, "
                 "nip-vat-ue:NIP-CCNUMBER or peppol-id:PXXNNNNNN");
}

absl::StatusOr<KsefContext> MakeKsefContext(absl::string_view type_name,
                                            absl::string_view value,
                                            absl::string_view field) {
  for (const TypeInfo& info : kTypes) {
    if (info.name != type_name) continue;
    absl::Status valid = ValidateValue(info, value, field);
    if (!valid.ok()) return valid;
    return KsefContext{.type = info.type, .value = std::string(value)};
  }
  return Invalid(field,
                 "context type must be Nip, InternalId, NipVatUe or PeppolId");
}

}  // namespace sejf
