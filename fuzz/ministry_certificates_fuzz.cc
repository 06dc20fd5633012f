// Ministry certificates as imported or fetched from KSeF
// (signer/ministry/ministry_certificate.h ParseMinistryCertificates): JSON,
// PEM or DER. What is accepted is within the import limit, has a DER that
// parses as one certificate, and is valid at the import time.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_check.h"
#include "openssl/err.h"
#include "signer/ministry/ministry_certificate.h"
#include "signer/x509/certificate_info.h"

using sejf::signer::MinistryCertificate;
using sejf::signer::MinistryCertificateUsage;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  // Before every certificate's notBefore in the seeds, so they are accepted.
  static const absl::Time kNow = absl::FromCivil(
      absl::CivilSecond(2025, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  // OpenSSL keeps the buffers of popped errors per thread; freeing them here
  // keeps each input's allocations balanced, so libFuzzer does not run a
  // leak scan after almost every input (about 20 times faster).
  ERR_clear_error();
  absl::StatusOr<std::vector<MinistryCertificate>> certificates =
      sejf::signer::ParseMinistryCertificates(
          sejf::fuzz::Input(data, size),
          MinistryCertificateUsage::kKsefTokenEncryption, kNow);
  if (!certificates.ok()) return 0;
  FUZZ_CHECK(certificates->size() <=
             sejf::signer::kMaxMinistryCertificatesPerImport);
  for (const MinistryCertificate& certificate : *certificates) {
    FUZZ_CHECK(sejf::signer::ParseCertificate(certificate.der).ok());
    FUZZ_CHECK(certificate.Fingerprint().size() == 64);
  }
  return 0;
}
