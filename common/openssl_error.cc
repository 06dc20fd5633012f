#include "common/openssl_error.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"

namespace sejf {

std::string DrainOpenSslErrors() {
  std::string out;
  while (unsigned long err = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

absl::Status OpenSslError(absl::StatusCode code, absl::string_view what) {
  std::string detail = DrainOpenSslErrors();
  if (detail.empty()) return absl::Status(code, what);
  return absl::Status(code, absl::StrCat(what, " (", detail, ")"));
}

}  // namespace sejf
