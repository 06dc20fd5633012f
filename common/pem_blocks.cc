#include "common/pem_blocks.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"

namespace sejf {
namespace {

struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};

}  // namespace

absl::StatusOr<std::vector<PemBlock>> ReadPemBlocks(absl::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (bio == nullptr) return OpenSslInternal("cannot read the PEM input");
  std::vector<PemBlock> blocks;
  for (;;) {
    char* name_raw = nullptr;
    char* header_raw = nullptr;
    unsigned char* data_raw = nullptr;
    long size = 0;  // NOLINT(runtime/int)
    int ok = PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &size);
    std::unique_ptr<char, OpenSslFree> name(name_raw);
    std::unique_ptr<char, OpenSslFree> header(header_raw);
    std::unique_ptr<unsigned char, OpenSslFree> data(data_raw);
    if (ok != 1) {
      const bool at_end =
          ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE;
      DrainOpenSslErrors();
      if (at_end) break;
      return absl::InvalidArgumentError(
          absl::StrCat("PEM block ", blocks.size() + 1,
                       " is damaged (bad Base64 or no END line)"));
    }
    blocks.push_back(
        {name.get(), std::string(reinterpret_cast<char*>(data.get()),
                                 static_cast<std::size_t>(size))});
  }
  return blocks;
}

}  // namespace sejf
