// Small encoding helpers shared by signer/x509 (internal; not for callers
// outside this folder). Thread-safe; each leaves this thread's OpenSSL error
// queue empty.
#ifndef SEJF_SIGNER_X509_DER_H_
#define SEJF_SIGNER_X509_DER_H_

#include <openssl/bio.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/openssl_error.h"

namespace sejf::signer {

// The DER of `object` through an OpenSSL i2d function (i2d_X509,
// i2d_re_X509_tbs, ...). INTERNAL naming `what` when OpenSSL fails.
template <typename T, typename I2d>
absl::StatusOr<std::string> ToDer(I2d i2d, T* object, absl::string_view what) {
  int size = i2d(object, nullptr);
  if (size <= 0) return OpenSslInternal(absl::StrCat("cannot encode ", what));
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d(object, &p) != size) {
    return OpenSslInternal(absl::StrCat("cannot encode ", what));
  }
  return der;
}

// `data` as uppercase hex without separators ("012E76A6...").
std::string UpperHex(absl::string_view data);

// Everything written to a memory BIO so far. INTERNAL when `bio` is not a
// memory BIO.
absl::StatusOr<std::string> MemoryBioContents(BIO* bio);

// One PEM block with the given label ("CERTIFICATE", "CERTIFICATE REQUEST")
// around `der`: base64 in 64-character lines, "\n" line ends.
absl::StatusOr<std::string> DerToPem(absl::string_view label,
                                     absl::string_view der);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_X509_DER_H_
