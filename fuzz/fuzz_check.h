// What the fuzz targets share: the input as a string_view, and FUZZ_CHECK,
// which stops the run (a finding libFuzzer saves) when a property the parser
// promises does not hold, e.g. that what it accepted formats and parses back
// to the same value.
#ifndef SEJF_FUZZ_FUZZ_CHECK_H_
#define SEJF_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"

namespace sejf::fuzz {

inline absl::string_view Input(const std::uint8_t* data, std::size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace sejf::fuzz

#define FUZZ_CHECK(condition)                                          \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #condition);                              \
      std::abort();                                                    \
    }                                                                  \
  } while (false)

#endif  // SEJF_FUZZ_FUZZ_CHECK_H_
