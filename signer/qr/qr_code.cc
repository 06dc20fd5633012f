#include "signer/qr/qr_code.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/echo.h"
#include "common/openssl_error.h"
#include "common/status_macros.h"

namespace sejf::signer {
namespace {

constexpr std::pair<absl::string_view, absl::string_view> kBuiltInHosts[] = {
    {"test", "qr-test.ksef.mf.gov.pl"},
    {"demo", "qr-demo.ksef.mf.gov.pl"},
    {"prod", "qr.ksef.mf.gov.pl"},
};

constexpr std::size_t kSha256Size = 32;
constexpr std::size_t kHashLinkSize = 43;    // Base64URL of 32 bytes, no '='
constexpr std::size_t kKsefSerialSize = 16;  // ^[0-9A-F]{16}$

bool AllOf(absl::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}

bool IsDigit(char c) {
  return absl::ascii_isdigit(static_cast<unsigned char>(c));
}
bool IsUpperHex(char c) { return IsDigit(c) || (c >= 'A' && c <= 'F'); }
bool IsHostChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '.';
}

// "YYYY-MM-DD" (a real date) → "DD-MM-YYYY".
absl::StatusOr<std::string> LinkDate(absl::string_view date) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        "issue date must be the invoice's P_1 as YYYY-MM-DD, a real date "
        "(e.g. 2026-02-01)");
  };
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return bad();
  int y = 0, m = 0, d = 0;
  if (!AllOf(date.substr(0, 4), IsDigit) ||
      !AllOf(date.substr(5, 2), IsDigit) ||
      !AllOf(date.substr(8, 2), IsDigit) ||
      !absl::SimpleAtoi(date.substr(0, 4), &y) ||
      !absl::SimpleAtoi(date.substr(5, 2), &m) ||
      !absl::SimpleAtoi(date.substr(8, 2), &d)) {
    return bad();
  }
  absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d || y < 1000) {
    return bad();
  }
  return absl::StrFormat("%02d-%02d-%04d", d, m, y);
}

}  // namespace

absl::Status ValidateKsefCertificateSerial(absl::string_view serial) {
  if (serial.size() != kKsefSerialSize || !AllOf(serial, IsUpperHex)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate serial must be ", kKsefSerialSize,
        " upper-case hex digits, as KSeF writes certificateSerialNumber "
        "(e.g. 01F20A5D352AE590)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateQrHost(absl::string_view host) {
  absl::string_view name = host;
  absl::string_view port;
  if (auto colon = host.find(':'); colon != absl::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
  }
  int port_number = 0;
  bool ok = !name.empty() && name.size() <= 253 && AllOf(name, IsHostChar) &&
            name.front() != '.' && name.back() != '.' && name.front() != '-' &&
            name.find("..") == absl::string_view::npos &&
            (host.find(':') == absl::string_view::npos ||
             (!port.empty() && port.size() <= 5 && AllOf(port, IsDigit) &&
              absl::SimpleAtoi(port, &port_number) && port_number > 0 &&
              port_number <= 65535));
  if (!ok) {
    return absl::InvalidArgumentError(
        "QR host must be a lower-case host name with an optional :port, "
        "without scheme or path (e.g. qr-test.ksef.mf.gov.pl)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveQrHost(
    absl::string_view environment,
    const std::map<std::string, std::string, std::less<>>& custom_hosts) {
  for (const auto& [env, host] : kBuiltInHosts) {
    if (env == environment) return std::string(host);
  }
  auto it = custom_hosts.find(environment);
  if (it == custom_hosts.end()) {
    bool printable = AllOf(environment, [](char c) {
      return absl::ascii_isprint(static_cast<unsigned char>(c));
    });
    return absl::InvalidArgumentError(absl::StrCat(
        "environment ",
        printable ? absl::StrCat("\"", ClipEcho(environment), "\"")
                  : "(unprintable)",
        " has no QR host: use test, demo, prod or a custom environment "
        "configured with one"));
  }
  RETURN_IF_ERROR(ValidateQrHost(it->second));
  return it->second;
}

InvoiceHash InvoiceHash::OfInvoice(absl::string_view invoice_bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(invoice_bytes.data(), invoice_bytes.size(), digest, &size,
                 EVP_sha256(), nullptr) != 1) {
    // SHA-256 in the default provider does not fail; keep the queue clean.
    DrainOpenSslErrors();
  }
  return InvoiceHash(std::string(reinterpret_cast<const char*>(digest), size));
}

absl::StatusOr<InvoiceHash> InvoiceHash::FromSha256(absl::string_view digest) {
  if (digest.size() != kSha256Size) {
    return absl::InvalidArgumentError(
        absl::StrCat("invoice hash must be the 32-byte SHA-256 of the invoice "
                     "file; got ",
                     digest.size(), " bytes"));
  }
  return InvoiceHash(std::string(digest));
}

absl::StatusOr<InvoiceHash> InvoiceHash::FromBase64Url(absl::string_view text) {
  std::string digest;
  if (text.size() != kHashLinkSize ||
      !absl::WebSafeBase64Unescape(text, &digest) ||
      digest.size() != kSha256Size || Base64UrlNoPadding(digest) != text) {
    return absl::InvalidArgumentError(
        "invoice hash must be the SHA-256 of the invoice file as 43 "
        "characters of Base64URL without padding (as in a KOD I link)");
  }
  return InvoiceHash(std::move(digest));
}

std::string InvoiceHash::Base64Url() const {
  return Base64UrlNoPadding(digest_);
}

std::string Base64UrlNoPadding(absl::string_view data) {
  return absl::WebSafeBase64Escape(data);  // no padding, canonical
}

absl::StatusOr<std::string> BuildInvoiceQrUrl(absl::string_view qr_host,
                                              absl::string_view seller_nip,
                                              absl::string_view issue_date,
                                              const InvoiceHash& hash) {
  RETURN_IF_ERROR(ValidateQrHost(qr_host));
  RETURN_IF_ERROR(ValidateNip(seller_nip, "seller NIP"));
  ASSIGN_OR_RETURN(std::string date, LinkDate(issue_date));
  return absl::StrCat("https://", qr_host, "/invoice/", seller_nip, "/", date,
                      "/", hash.Base64Url());
}

absl::StatusOr<std::string> CertificateQrSignedData(
    absl::string_view qr_host, const KsefContext& context,
    absl::string_view seller_nip, absl::string_view certificate_serial,
    const InvoiceHash& hash) {
  RETURN_IF_ERROR(ValidateQrHost(qr_host));
  // Re-validated here: the value becomes a path segment of a signed link.
  ASSIGN_OR_RETURN(KsefContext checked,
                   ParseKsefContext(context.ToString(), "context"));
  RETURN_IF_ERROR(ValidateNip(seller_nip, "seller NIP"));
  RETURN_IF_ERROR(ValidateKsefCertificateSerial(certificate_serial));
  return absl::StrCat(qr_host, "/certificate/",
                      KsefContextTypeName(checked.type), "/", checked.value,
                      "/", seller_nip, "/", certificate_serial, "/",
                      hash.Base64Url());
}

std::string CertificateQrUrl(absl::string_view signed_data,
                             absl::string_view signature) {
  return absl::StrCat("https://", signed_data, "/",
                      Base64UrlNoPadding(signature));
}

}  // namespace sejf::signer
