#include "signer/x509/der.h"

#include <openssl/pem.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "common/openssl_ptr.h"

namespace sejf::signer {

std::string UpperHex(absl::string_view data) {
  return absl::AsciiStrToUpper(absl::BytesToHexString(data));
}

absl::StatusOr<std::string> MemoryBioContents(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  if (size < 0 || (size > 0 && data == nullptr)) {
    return OpenSslInternal("cannot read a memory BIO");
  }
  return std::string(data, static_cast<std::size_t>(size));
}

absl::StatusOr<std::string> DerToPem(absl::string_view label,
                                     absl::string_view der) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslInternal("cannot allocate a BIO");
  std::string name(label);
  if (PEM_write_bio(bio.get(), name.c_str(), "",
                    reinterpret_cast<const unsigned char*>(der.data()),
                    static_cast<long>(der.size())) <= 0) {  // NOLINT
    return OpenSslInternal(absl::StrCat("cannot write PEM ", label));
  }
  return MemoryBioContents(bio.get());
}

}  // namespace sejf::signer
