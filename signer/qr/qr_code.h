// The verification links printed as QR codes on KSeF invoices
// (ksef-protocol.md §7):
//
//   KOD I  https://{qrHost}/invoice/{sellerNip}/{DD-MM-YYYY}/{invoiceHash}
//   KOD II https://{qrHost}/certificate/{ctxType}/{ctxValue}/{sellerNip}/
//                  {certSerial}/{invoiceHash}/{signature}
//
// invoiceHash is SHA-256 of the invoice XML file's bytes, Base64URL without
// padding (43 characters). The KOD II signature covers the link without
// "https://" and without the signature segment (CertificateQrSignedData);
// signing it needs an HSM key, see offline_qr_signer.h.
//
// QR hosts (§1): test → qr-test.ksef.mf.gov.pl, demo → qr-demo.ksef.mf.gov.pl,
// prod → qr.ksef.mf.gov.pl. A custom environment has no built-in host: its
// caller (the server's configuration) passes one to ResolveQrHost.
//
// Thread-safety: plain values and functions without shared state.
#ifndef SEJF_SIGNER_QR_QR_CODE_H_
#define SEJF_SIGNER_QR_QR_CODE_H_

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/ksef_context.h"

namespace sejf::signer {

// The QR host of `environment`: the built-in one for test/demo/prod, else
// `custom_hosts[environment]`. INVALID_ARGUMENT naming the environment when
// there is none, or when a custom host breaks ValidateQrHost.
absl::StatusOr<std::string> ResolveQrHost(
    absl::string_view environment,
    const std::map<std::string, std::string, std::less<>>& custom_hosts = {});

// OK for a lower-case DNS host name ("qr-test.ksef.mf.gov.pl"), optionally
// with ":port"; no scheme, path or trailing dot. INVALID_ARGUMENT otherwise.
absl::Status ValidateQrHost(absl::string_view host);

// OK when `serial` is written as KSeF writes certificateSerialNumber
// (ksef-protocol.md §6.2): the serial's value in exactly 16 upper-case hex
// digits, ^[0-9A-F]{16}$, e.g. "01F20A5D352AE590" — what
// `openssl x509 -serial` prints for a KSeF certificate. INVALID_ARGUMENT
// otherwise.
//
// Other serials are refused rather than put into a link: KSeF checks a
// KOD II link by finding its certSerial among the certificates it issued
// (§7.2), and every one of those has this form, so a link with any other
// serial (a CA's or openssl's 20-byte random serial, DER's "00" sign byte,
// lower case) never verifies. A wrong link would be printed on an offline
// invoice and fail only when the buyer scans it.
absl::Status ValidateKsefCertificateSerial(absl::string_view serial);

// The SHA-256 of an invoice's XML bytes. Plain value.
class InvoiceHash {
 public:
  // Hashes the invoice file's bytes exactly as they are (no normalisation).
  static InvoiceHash OfInvoice(absl::string_view invoice_bytes);
  // From a digest computed elsewhere: exactly 32 bytes, else INVALID_ARGUMENT.
  static absl::StatusOr<InvoiceHash> FromSha256(absl::string_view digest);
  // From the link form: 43 characters of canonical Base64URL without padding
  // (what Base64Url() gives), else INVALID_ARGUMENT.
  static absl::StatusOr<InvoiceHash> FromBase64Url(absl::string_view text);

  const std::string& digest() const { return digest_; }  // 32 bytes
  std::string Base64Url() const;

 private:
  explicit InvoiceHash(std::string digest) : digest_(std::move(digest)) {}
  std::string digest_;
};

// KOD I. `issue_date` is the invoice's P_1, "YYYY-MM-DD" (a real date);
// `seller_nip` a valid NIP. INVALID_ARGUMENT naming the field otherwise.
absl::StatusOr<std::string> BuildInvoiceQrUrl(absl::string_view qr_host,
                                              absl::string_view seller_nip,
                                              absl::string_view issue_date,
                                              const InvoiceHash& hash);

// The exact string KOD II signs (§7.2), e.g.
//   qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/
//   01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE
// (one line). `certificate_serial` passes ValidateKsefCertificateSerial.
// INVALID_ARGUMENT naming the field for a bad host, NIP, serial or an empty
// context value.
absl::StatusOr<std::string> CertificateQrSignedData(
    absl::string_view qr_host, const KsefContext& context,
    absl::string_view seller_nip, absl::string_view certificate_serial,
    const InvoiceHash& hash);

// KOD II from the signed data and the raw signature bytes:
// "https://" + signed_data + "/" + Base64URL(signature) without padding.
std::string CertificateQrUrl(absl::string_view signed_data,
                             absl::string_view signature);

// Base64URL without padding, canonical (unused bits zero).
std::string Base64UrlNoPadding(absl::string_view data);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_QR_QR_CODE_H_
