// Base64 inside stored records (the JSON documents vault::Storage holds):
// the one decoder every record format uses.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_VAULT_RECORDS_RECORD_BASE64_H_
#define SEJF_VAULT_RECORDS_RECORD_BASE64_H_

#include <string>

#include "absl/strings/string_view.h"

namespace sejf::vault {

// The bytes of the Base64 `text` read from a record's `what` member.
// Throws std::invalid_argument ("<what> is not Base64") when it is not
// Base64: for use inside a record decoder whose catch turns exceptions into
// DATA_LOSS, as the JSON library's own errors are.
std::string Unb64(absl::string_view text, absl::string_view what);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_RECORDS_RECORD_BASE64_H_
