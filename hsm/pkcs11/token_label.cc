#include "hsm/pkcs11/token_label.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace sejf::hsm::pkcs11 {

absl::StatusOr<PaddedLabel> PadTokenLabel(absl::string_view label) {
  if (label.empty()) {
    return absl::InvalidArgumentError("token label must not be empty");
  }
  if (label.size() > kTokenLabelSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("token label \"", label, "\" is ", label.size(),
                     " bytes; PKCS#11 allows at most ", kTokenLabelSize));
  }
  if (label.back() == ' ') {
    return absl::InvalidArgumentError(
        absl::StrCat("token label \"", label, "\" must not end in a space"));
  }
  PaddedLabel padded;
  padded.fill(' ');
  std::copy(label.begin(), label.end(), padded.begin());
  return padded;
}

std::string TrimPaddedField(const CK_UTF8CHAR* field, std::size_t size) {
  std::string out(reinterpret_cast<const char*>(field), size);
  std::size_t end = out.find_last_not_of(std::string(" \0", 2));
  out.resize(end == std::string::npos ? 0 : end + 1);
  return out;
}

}  // namespace sejf::hsm::pkcs11
