// PKCS#11 token labels and other fixed-width text fields.
//
// CK_TOKEN_INFO and C_InitToken carry labels as exactly 32 bytes, padded with
// spaces and not NUL-terminated. These helpers convert between that form and
// ordinary strings.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_HSM_PKCS11_TOKEN_LABEL_H_
#define SEJF_HSM_PKCS11_TOKEN_LABEL_H_

#include <p11-kit/pkcs11.h>

#include <array>
#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::hsm::pkcs11 {

inline constexpr std::size_t kTokenLabelSize = 32;

using PaddedLabel = std::array<CK_UTF8CHAR, kTokenLabelSize>;

// `label` as the 32-byte space-padded field. INVALID_ARGUMENT (quoting the
// label) when it is empty, longer than 32 bytes, or ends in a space (the
// padding would swallow it, so the token could never be found by it again).
absl::StatusOr<PaddedLabel> PadTokenLabel(absl::string_view label);

// A fixed-width, space-padded field (label, serial number, manufacturer)
// without its trailing spaces and NULs.
std::string TrimPaddedField(const CK_UTF8CHAR* field, std::size_t size);

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_TOKEN_LABEL_H_
