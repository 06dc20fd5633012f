// KOD II, the signed certificate link of an offline invoice
// (ksef-protocol.md §7.2), signed with a key held in the HSM.
//
// The key must be an active sejf key (signer/custody) of usage `offline`
// with an attached certificate valid now — a KSeF `Offline` certificate;
// an `Authentication` one must not sign KOD II (§6.1, DOCS:kody-qr.md).
// The string of CertificateQrSignedData is signed once, as it is (the HSM
// hashes it with SHA-256; never pre-hashed, §7.2 / py#46):
//   EC key  → ECDSA P-256 with SHA-256, raw r||s (64 bytes, IEEE P1363)
//   RSA key → RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 bytes
// and the signature bytes go into the link as Base64URL without padding.
//
// certSerial is the certificate's serial as the key record holds it: its
// value in uppercase hex without DER's sign byte, as `openssl x509 -serial`
// prints it (vault/records/key_record.h). For a KSeF-issued certificate that
// is the 16-character form KSeF uses in certificateSerialNumber (§6.2
// pattern ^[0-9A-F]{16}$, and the §7.2 example "01F20A5D352AE590"), also
// when its top bit is set ("8000000000000001", never "008000000000000001").
// A certificate with any other serial cannot be a KSeF Offline certificate,
// so KSeF could never verify the link: it is refused (see
// ValidateKsefCertificateSerial).
//
// Thread-safety: thread-safe (KeyCustody, KeyStore and Clock are).
#ifndef SEJF_SIGNER_QR_OFFLINE_QR_SIGNER_H_
#define SEJF_SIGNER_QR_OFFLINE_QR_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/ksef_context.h"
#include "hsm/key_store.h"
#include "signer/custody/key_custody.h"
#include "signer/qr/qr_code.h"

namespace sejf::signer {

struct OfflineQrRequest {
  std::string key_name = {};  // a key in KeyCustody
  KsefContext context = {};   // the login context (ctxType/ctxValue)
  std::string seller_nip = {};
  InvoiceHash invoice_hash = InvoiceHash::OfInvoice("");
  std::string qr_host = {};  // ResolveQrHost(environment, ...)
};

struct OfflineQrCode {
  std::string url;          // the complete KOD II link
  std::string signed_data;  // what was signed (the link without scheme and
                            // signature)
  std::string certificate_serial;
  hsm::SignatureScheme scheme = hsm::SignatureScheme::kEcdsaSha256;
  std::string signature;  // the raw signature bytes
};

class OfflineQrSigner {
 public:
  // `custody` must outlive this object; it decides whether a key may sign
  // (KeyCustody::UsableFor, at its clock) and signs with it.
  explicit OfflineQrSigner(KeyCustody* custody);

  // Signs KOD II for `request`.
  // INVALID_ARGUMENT: a bad host, context, seller NIP (naming the field).
  // NOT_FOUND: no such key.
  // FAILED_PRECONDITION saying which: the key is not active (disabled,
  //   destroyed), its usage is not offline, it has no certificate, the
  //   certificate is not valid now (not yet, or expired — with the date), or
  //   its serial is not a KSeF certificate's (not 16 hex digits).
  // UNAVAILABLE: the HSM is away.
  absl::StatusOr<OfflineQrCode> Sign(const OfflineQrRequest& request);

 private:
  KeyCustody* custody_;
};

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_QR_OFFLINE_QR_SIGNER_H_
