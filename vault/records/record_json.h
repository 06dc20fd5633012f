// Integers inside stored records (the JSON documents vault::Storage holds):
// the one reader every record format uses for its numbers.
//
// Thread-safety: pure functions, thread-safe.
#ifndef SEJF_VAULT_RECORDS_RECORD_JSON_H_
#define SEJF_VAULT_RECORDS_RECORD_JSON_H_

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace sejf::vault {

// The value of a record's integer member `what`. Throws
// std::invalid_argument ("<what> is not a 64-bit integer") for a fraction,
// an exponent form, a value beyond int64 or another type: for use inside a
// record decoder whose catch turns exceptions into DATA_LOSS. (The JSON
// library's own get<std::int64_t>() converts a double without a check,
// which is undefined behaviour when it is out of range.)
inline std::int64_t RecordInt64(const nlohmann::json& value,
                                absl::string_view what) {
  if (value.is_number_integer() &&
      (!value.is_number_unsigned() ||
       value.get<std::uint64_t>() <=
           static_cast<std::uint64_t>(
               std::numeric_limits<std::int64_t>::max()))) {
    return value.get<std::int64_t>();
  }
  throw std::invalid_argument(absl::StrCat(what, " is not a 64-bit integer"));
}

// The same for a member that must fit in 32 bits unsigned (data key ids).
inline std::uint32_t RecordUint32(const nlohmann::json& value,
                                  absl::string_view what) {
  const std::int64_t v = RecordInt64(value, what);
  if (v < 0 || v > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument(
        absl::StrCat(what, " is not a 32-bit unsigned integer"));
  }
  return static_cast<std::uint32_t>(v);
}

}  // namespace sejf::vault

#endif  // SEJF_VAULT_RECORDS_RECORD_JSON_H_
