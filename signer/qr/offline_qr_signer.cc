#include "signer/qr/offline_qr_signer.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/echo.h"
#include "common/status_macros.h"
#include "vault/records/key_record.h"

namespace sejf::signer {
namespace {

std::string UtcText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// OK when `key` may sign KOD II at `now`; FAILED_PRECONDITION saying why not.
absl::Status CheckKeyMaySign(const Key& key, absl::Time now) {
  const vault::KeyRecord& r = key.record;
  if (r.state != vault::CredentialState::kActive) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key ", key.name, " is ", vault::CredentialStateName(r.state),
        "; only an active key signs QR codes"));
  }
  if (r.usage != vault::KeyUsage::kOffline) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key ", key.name, " has usage ", vault::KeyUsageName(r.usage),
        "; KOD II must be signed with an offline key (a KSeF Offline "
        "certificate)"));
  }
  if (!r.certificate.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("key ", key.name,
                     " has no certificate; attach its KSeF Offline "
                     "certificate first"));
  }
  if (now < r.certificate->not_before) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the certificate of key ", key.name, " is not valid until ",
        UtcText(r.certificate->not_before)));
  }
  if (now > r.certificate->not_after) {
    return absl::FailedPreconditionError(
        absl::StrCat("the certificate of key ", key.name, " expired on ",
                     UtcText(r.certificate->not_after)));
  }
  return absl::OkStatus();
}

// OK when the serial of `key`'s certificate can go into a KOD II link;
// FAILED_PRECONDITION saying what to attach otherwise. The serial comes from
// the key's certificate, not from the caller, hence not INVALID_ARGUMENT.
absl::Status CheckKsefSerial(const Key& key) {
  const std::string& serial = key.record.certificate->serial;
  if (ValidateKsefCertificateSerial(serial).ok()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the certificate of key ", key.name, " has serial ", ClipEcho(serial),
      ", not a KSeF certificate serial (16 hex digits, e.g. "
      "01F20A5D352AE590): KSeF verifies KOD II only against the Offline "
      "certificates it issued; attach the one KSeF issued for this key"));
}

}  // namespace

OfflineQrSigner::OfflineQrSigner(KeyCustody* custody, hsm::KeyStore* keys,
                                 const Clock* clock)
    : custody_(custody), keys_(keys), clock_(clock) {}

absl::StatusOr<OfflineQrCode> OfflineQrSigner::Sign(
    const OfflineQrRequest& request) {
  ASSIGN_OR_RETURN(Key key, custody_->Get(request.key_name));
  RETURN_IF_ERROR(CheckKeyMaySign(key, clock_->Now()));
  RETURN_IF_ERROR(CheckKsefSerial(key));
  OfflineQrCode out;
  out.certificate_serial = key.record.certificate->serial;
  ASSIGN_OR_RETURN(out.signed_data,
                   CertificateQrSignedData(
                       request.qr_host, request.context, request.seller_nip,
                       out.certificate_serial, request.invoice_hash));
  hsm::KeyRef ref = KeyCustody::KeyRefOf(key.name, key.record);
  out.scheme = ref.algorithm == hsm::KeyAlgorithm::kRsa2048
                   ? hsm::SignatureScheme::kRsaPssSha256
                   : hsm::SignatureScheme::kEcdsaSha256;
  ASSIGN_OR_RETURN(out.signature,
                   keys_->Sign(ref, out.scheme, out.signed_data));
  out.url = CertificateQrUrl(out.signed_data, out.signature);
  return out;
}

}  // namespace sejf::signer
