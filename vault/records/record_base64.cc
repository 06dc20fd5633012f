#include "vault/records/record_base64.h"

#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace sejf::vault {

std::string Unb64(absl::string_view text, absl::string_view what) {
  std::string out;
  if (!absl::Base64Unescape(text, &out)) {
    throw std::invalid_argument(absl::StrCat(what, " is not Base64"));
  }
  return out;
}

}  // namespace sejf::vault
