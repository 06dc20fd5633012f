#include "signer/qr/offline_qr_signer.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/echo.h"
#include "common/status_macros.h"
#include "vault/records/key_record.h"

namespace sejf::signer {
namespace {

// OK when the serial of `key`'s certificate can go into a KOD II link;
// FAILED_PRECONDITION saying what to attach otherwise. The serial comes from
// the key's certificate, not from the caller, hence not INVALID_ARGUMENT.
absl::Status CheckKsefSerial(const UsableKey& usable) {
  const Key& key = usable.key();
  const std::string& serial = usable.certificate().serial;
  if (ValidateKsefCertificateSerial(serial).ok()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the certificate of key ", key.name, " has serial ", ClipEcho(serial),
      ", not a KSeF certificate serial (16 hex digits, e.g. "
      "01F20A5D352AE590): KSeF verifies KOD II only against the Offline "
      "certificates it issued; attach the one KSeF issued for this key"));
}

}  // namespace

OfflineQrSigner::OfflineQrSigner(KeyCustody* custody) : custody_(custody) {}

absl::StatusOr<OfflineQrCode> OfflineQrSigner::Sign(
    const OfflineQrRequest& request) {
  // Held in its StatusOr, not moved out (GCC 12 misreads the move of the
  // optional certificate as uninitialized).
  const absl::StatusOr<UsableKey> usable =
      custody_->UsableFor(request.key_name, vault::KeyUsage::kOffline);
  if (!usable.ok()) return usable.status();
  const UsableKey& key = *usable;
  RETURN_IF_ERROR(CheckKsefSerial(key));
  OfflineQrCode out;
  out.certificate_serial = key.certificate().serial;
  ASSIGN_OR_RETURN(out.signed_data,
                   CertificateQrSignedData(
                       request.qr_host, request.context, request.seller_nip,
                       out.certificate_serial, request.invoice_hash));
  out.scheme = key.algorithm() == hsm::KeyAlgorithm::kRsa2048
                   ? hsm::SignatureScheme::kRsaPssSha256
                   : hsm::SignatureScheme::kEcdsaSha256;
  ASSIGN_OR_RETURN(out.signature,
                   custody_->Sign(key, out.scheme, out.signed_data));
  out.url = CertificateQrUrl(out.signed_data, out.signature);
  return out;
}

}  // namespace sejf::signer
